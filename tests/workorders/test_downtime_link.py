"""A corrective work order reported for a device that is already down (an open downtime period with no
work order yet) becomes that period's work order: the downtime now has a known cause."""

import datetime

import pytest
from django.utils import timezone

from accounts.choices import Role
from devices.choices import DeviceStatus
from devices.models import Device, DowntimePeriod
from tests.factories.equipment import WorkOrderFactory
from workorders import services
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def down(device, **kwargs):
    Device.objects.filter(pk=device.pk).update(status=DeviceStatus.MAINTENANCE)
    device.refresh_from_db()
    return DowntimePeriod.objects.create(device=device, status=DeviceStatus.MAINTENANCE, reason="Taken out", **kwargs)


def report(team, work_type="CM"):
    response = team.clients[Role.NURSE].post("/api/workorders/", {
        "device": team.device.id, "description": "No display", "work_type": work_type, "priority": "high",
    }, format="json")
    assert response.status_code == 201, response.content
    return WorkOrder.objects.get(pk=response.json()["id"])


def test_a_corrective_work_order_links_the_open_period_without_one(team):
    period = down(team.device)
    order = report(team)
    period.refresh_from_db()
    assert period.work_order == order and period.ended_at is None


def test_a_preventive_work_order_does_not_link_it(team):
    period = down(team.device)
    report(team, work_type="PM")
    period.refresh_from_db()
    assert period.work_order is None


def test_a_period_that_already_has_a_work_order_keeps_it(team):
    period = down(team.device, work_order=team.order)
    report(team)
    period.refresh_from_db()
    assert period.work_order == team.order


def test_closed_periods_and_other_devices_are_left_alone(team):
    started = timezone.now() - datetime.timedelta(days=2)
    closed = DowntimePeriod.objects.create(device=team.device, started_at=started,
                                           ended_at=started + datetime.timedelta(hours=5))
    elsewhere = down(team.other.device)
    report(team)
    closed.refresh_from_db()
    elsewhere.refresh_from_db()
    assert closed.work_order is None and elsewhere.work_order is None


def test_the_follow_up_of_a_failed_checklist_links_the_open_period(team):
    pm = WorkOrderFactory(device=team.device, work_type="PM", status="in_progress", checklist=["Check the battery"],
                          checklist_results=[{"step": "Check the battery", "passed": False, "remark": ""}],
                          technical_action="PM done")
    period = down(team.device)
    services.workorder_close(work_order=pm, by=team.engineer)
    period.refresh_from_db()
    assert period.work_order == pm.follow_up and period.work_order.follow_up_of == pm
