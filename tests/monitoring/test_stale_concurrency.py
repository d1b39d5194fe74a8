"""Stale-monitor passes running at the same time (real threads, each with its own connection) act
once per monitor: one alert, one work order and one downtime each, and one closing when data flows
again. On PostgreSQL the monitor's row lock and the re-check under it decide (the partial unique
index is the backstop); on SQLite the IMMEDIATE transactions serialise the passes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Device, DowntimePeriod
from monitoring.choices import AlertStatus
from monitoring.models import Alert
from monitoring.stale import check_stale_monitors
from tests.devices.helpers import run_concurrently
from tests.factories import DepartmentFactory, PatientFactory, UserFactory
from tests.factories.equipment import DeviceFactory
from tests.monitoring.test_stale import add_readings
from workorders.choices import WorkOrderStatus
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)

MONITORS = 5
THREADS = 4


@pytest.fixture
def silent_monitors():
    department = DepartmentFactory()
    UserFactory(nurse=True, department=department)
    engineer = UserFactory(engineer=True)
    now = timezone.now()
    monitors = [DeviceFactory(monitor=True, patient=PatientFactory(department=department), assigned_engineer=engineer)
                for _ in range(MONITORS)]
    Device.objects.filter(pk__in=[monitor.pk for monitor in monitors]).update(updated_at=now - timedelta(hours=1))
    for monitor in monitors:
        add_readings(monitor, now - timedelta(minutes=20), now - timedelta(minutes=10))
    return monitors


def totals(reports, key):
    assert all(report["failed"] == 0 for report in reports), reports
    return sum(report[key] for report in reports)


def test_passes_at_once_raise_one_alert_work_order_and_downtime_per_monitor(silent_monitors):
    reports = run_concurrently(THREADS, lambda index: check_stale_monitors())
    assert totals(reports, "went_offline") == MONITORS
    for monitor in silent_monitors:
        alert = Alert.objects.get(device=monitor)
        work_order = WorkOrder.objects.get(device=monitor)
        assert alert.work_order == work_order
        assert DowntimePeriod.objects.get(device=monitor).work_order == work_order

    now = timezone.now()
    for monitor in silent_monitors:
        add_readings(monitor, now - timedelta(seconds=5), now - timedelta(seconds=5))
    reports = run_concurrently(THREADS, lambda index: check_stale_monitors())
    assert totals(reports, "came_back") == MONITORS
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.RESOLVED}
    assert set(WorkOrder.objects.values_list("status", flat=True)) == {WorkOrderStatus.CLOSED}
    assert not DowntimePeriod.objects.filter(ended_at__isnull=True).exists()
    assert Alert.objects.count() == WorkOrder.objects.count() == DowntimePeriod.objects.count() == MONITORS
