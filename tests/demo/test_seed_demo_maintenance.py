"""The demo's maintenance data: PM schedules a new user sees turn into work orders, and devices whose
calibration is overdue or whose warranty ends soon. Seeding again changes none of it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from devices.models import Device
from maintenance.choices import BasedOn
from maintenance.models import PMSchedule
from maintenance.services import generate_pm_workorders
from workorders.choices import WorkType
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings):
    settings.DEBUG = True
    call_command("seed_demo")


def schedules():
    return {schedule.title: schedule for schedule in PMSchedule.objects.select_related("device")}


def test_seed_demo_makes_three_pm_schedules_on_the_demo_devices(seeded):
    today = timezone.localdate()
    found = schedules()
    assert set(found) == {"Electrical safety check", "Alarm and display test", "Flow-rate calibration"}
    safety, alarms, calibration = (found[title] for title in
                                   ("Electrical safety check", "Alarm and display test", "Flow-rate calibration"))
    assert safety.device.asset_number == "EQ-0001"
    assert safety.next_due_date - timedelta(days=safety.lead_days) <= today < safety.next_due_date
    assert alarms.device.asset_number == "MON-0001" and alarms.next_due_date.day == 31
    assert alarms.next_due_date >= today
    assert calibration.based_on == BasedOn.COMPLETED_DATE
    assert all(schedule.active and schedule.checklist for schedule in found.values())


def test_the_first_generator_run_creates_the_due_demo_work_orders(seeded):
    today = timezone.localdate()
    alarms_due = schedules()["Alarm and display test"].next_due_date - timedelta(days=3) <= today
    report = generate_pm_workorders()
    assert report["created"] == 2 + alarms_due
    orders = WorkOrder.objects.filter(work_type=WorkType.PREVENTIVE)
    titles = {order.pm_schedule.title for order in orders}
    assert {"Electrical safety check", "Flow-rate calibration"} <= titles
    assert {order.assigned_to.username for order in orders} == {"engineer"}
    assert generate_pm_workorders()["waiting_for_completion"] == 1  # the calibration waits for its close


def test_seeding_again_leaves_the_schedules_and_dates_alone(settings, seeded):
    generate_pm_workorders()
    before = {title: schedule.next_due_date for title, schedule in schedules().items()}
    devices_before = list(Device.objects.order_by("pk").values())
    call_command("seed_demo")
    assert {title: schedule.next_due_date for title, schedule in schedules().items()} == before
    assert list(Device.objects.order_by("pk").values()) == devices_before
    assert PMSchedule.objects.count() == 3


def test_the_pump_shows_an_overdue_calibration_and_a_warranty_ending_soon(seeded):
    today = timezone.localdate()
    pump, monitor = Device.objects.get(asset_number="EQ-0001"), Device.objects.get(asset_number="MON-0001")
    assert pump.next_calibration_due < today and pump.last_calibration_date is not None
    assert today <= pump.warranty_expires <= today + timedelta(days=30)
    assert monitor.next_calibration_due >= today and monitor.warranty_expires > today + timedelta(days=30)


def test_a_date_an_operator_set_is_kept(settings, seeded):
    Device.objects.filter(asset_number="EQ-0001").update(warranty_expires=None, next_calibration_due="2030-01-01")
    call_command("seed_demo")
    pump = Device.objects.get(asset_number="EQ-0001")
    assert str(pump.next_calibration_due) == "2030-01-01"  # kept
    assert pump.warranty_expires is not None  # a missing one is filled
