"""The PM generator: each due occurrence becomes one work order, once; bounded; chains; clamping."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from devices.choices import DeviceStatus
from maintenance import services, tasks
from maintenance.choices import BasedOn, Frequency
from maintenance.models import PMSchedule
from maintenance.recurrence import advance
from maintenance.services import generate_pm_workorders
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from tests.maintenance.factories import PMScheduleFactory
from workorders import services as workorder_services
from workorders.choices import Priority, WorkOrderStatus, WorkType
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

DAY = date(2027, 3, 10)


def pm_orders(schedule):
    return list(WorkOrder.objects.filter(pm_schedule=schedule).order_by("pm_due_date"))


def due_dates(schedule):
    return [order.pm_due_date for order in pm_orders(schedule)]


def close(order):
    """Close a PM work order the way an engineer does: start it, record a passing result per step, close."""
    engineer = order.assigned_to or UserFactory(engineer=True)
    workorder_services.workorder_start(work_order=order, by=engineer)
    WorkOrder.objects.filter(pk=order.pk).update(
        checklist_results=[{"step": step, "passed": True, "remark": ""} for step in order.checklist])
    return workorder_services.workorder_close(work_order=order, by=engineer, technical_action="Done as listed")


def test_a_due_occurrence_becomes_one_work_order_with_the_schedule_s_fields():
    engineer = UserFactory(engineer=True)
    device = DeviceFactory(assigned_engineer=engineer)
    schedule = PMScheduleFactory(device=device, title="Electrical safety", next_due_date=DAY,
                                 checklist=["Inspect the cord", "Measure leakage"])
    report = generate_pm_workorders(today=DAY)
    assert report == {"created": 1, "schedules": 1, "skipped_inactive": 0, "waiting_for_completion": 0,
                      "capped": 0, "rearmed": 0, "deferred": 0}
    (order,) = pm_orders(schedule)
    assert (order.work_type, order.priority, order.status) == (WorkType.PREVENTIVE, Priority.MEDIUM,
                                                               WorkOrderStatus.OPEN)
    assert (order.device, order.assigned_to, order.created_by) == (device, engineer, None)
    assert (order.due_date, order.pm_due_date) == (DAY, DAY)
    assert order.checklist == ["Inspect the cord", "Measure leakage"]
    assert order.checklist_results == []
    assert order.description == "Electrical safety (PM due 2027-03-10)"
    assert order.work_number.startswith(f"WO-{timezone.now():%Y%m}-")
    assert order.created_at == order.updated_at  # a fresh row, as TrackedModel.save() makes it
    schedule.refresh_from_db()
    assert schedule.next_due_date == date(2027, 4, 10)


def test_running_twice_creates_one_work_order_per_due_date():
    schedule = PMScheduleFactory(next_due_date=DAY - timedelta(days=14), frequency=Frequency.WEEKLY)
    first = generate_pm_workorders(today=DAY)
    second = generate_pm_workorders(today=DAY)
    assert first["created"] == 3 and second["created"] == 0
    assert due_dates(schedule) == [DAY - timedelta(days=14), DAY - timedelta(days=7), DAY]
    schedule.refresh_from_db()
    assert schedule.next_due_date == DAY + timedelta(days=7)


def test_a_schedule_not_yet_due_generates_nothing():
    schedule = PMScheduleFactory(next_due_date=DAY + timedelta(days=1))
    assert generate_pm_workorders(today=DAY)["created"] == 0
    assert pm_orders(schedule) == []
    schedule.refresh_from_db()
    assert schedule.next_due_date == DAY + timedelta(days=1)


def test_lead_days_create_the_work_order_before_the_due_date():
    schedule = PMScheduleFactory(next_due_date=DAY + timedelta(days=7), lead_days=7)
    later = PMScheduleFactory(next_due_date=DAY + timedelta(days=8), lead_days=7)
    assert generate_pm_workorders(today=DAY)["created"] == 1
    (order,) = pm_orders(schedule)
    assert order.due_date == DAY + timedelta(days=7)  # due on the occurrence, made a week early
    assert pm_orders(later) == []
    assert generate_pm_workorders(today=DAY + timedelta(days=1))["created"] == 1
    assert due_dates(later) == [DAY + timedelta(days=8)]


def test_month_end_clamping_through_the_generator():
    schedule = PMScheduleFactory(next_due_date=date(2027, 1, 31), frequency=Frequency.MONTHLY)
    generate_pm_workorders(today=date(2027, 4, 30))
    assert due_dates(schedule) == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 28), date(2027, 4, 28)]
    schedule.refresh_from_db()
    assert schedule.next_due_date == date(2027, 5, 28)
    leap = PMScheduleFactory(next_due_date=date(2028, 2, 29), frequency=Frequency.YEARLY)
    generate_pm_workorders(today=date(2029, 2, 28))
    assert due_dates(leap) == [date(2028, 2, 29), date(2029, 2, 28)]


def test_interval_counts_every_n_periods():
    schedule = PMScheduleFactory(next_due_date=DAY, frequency=Frequency.DAILY, interval=3)
    generate_pm_workorders(today=DAY + timedelta(days=7))
    assert due_dates(schedule) == [DAY, DAY + timedelta(days=3), DAY + timedelta(days=6)]


def test_a_decommissioned_device_and_an_inactive_schedule_generate_nothing():
    retired = PMScheduleFactory(next_due_date=DAY, device=DeviceFactory(status=DeviceStatus.DECOMMISSIONED))
    paused = PMScheduleFactory(next_due_date=DAY, active=False)
    PMScheduleFactory(next_due_date=DAY + timedelta(days=30), active=False)  # not due: not counted
    report = generate_pm_workorders(today=DAY)
    assert (report["created"], report["skipped_inactive"]) == (0, 2)
    assert pm_orders(retired) == [] and pm_orders(paused) == []
    for schedule in (retired, paused):
        schedule.refresh_from_db()
        assert schedule.next_due_date == DAY  # untouched: nothing is skipped over while paused
    paused.active = True
    paused.save()
    assert generate_pm_workorders(today=DAY)["created"] == 1
    assert due_dates(paused) == [DAY]


def test_a_device_out_of_service_but_not_decommissioned_still_gets_its_pm():
    schedule = PMScheduleFactory(next_due_date=DAY, device=DeviceFactory(status=DeviceStatus.MAINTENANCE))
    assert generate_pm_workorders(today=DAY)["created"] == 1
    assert due_dates(schedule) == [DAY]


def test_catching_up_is_bounded_per_schedule_and_resumes_on_later_runs():
    schedule = PMScheduleFactory(next_due_date=DAY - timedelta(days=24), frequency=Frequency.DAILY)
    first = generate_pm_workorders(today=DAY, max_per_schedule=10)
    assert (first["created"], first["capped"]) == (10, 1)
    schedule.refresh_from_db()
    assert schedule.next_due_date == DAY - timedelta(days=14)
    second = generate_pm_workorders(today=DAY, max_per_schedule=10)
    third = generate_pm_workorders(today=DAY, max_per_schedule=10)
    assert (second["created"], second["capped"]) == (10, 1)
    assert (third["created"], third["capped"]) == (5, 0)
    assert due_dates(schedule) == [DAY - timedelta(days=n) for n in range(24, -1, -1)]
    assert generate_pm_workorders(today=DAY)["created"] == 0


def test_the_per_schedule_cap_defaults_to_the_setting(settings):
    settings.PM_MAX_OCCURRENCES_PER_RUN = 2
    PMScheduleFactory(next_due_date=DAY - timedelta(days=9), frequency=Frequency.DAILY)
    assert generate_pm_workorders(today=DAY)["created"] == 2


def test_exactly_the_cap_due_is_not_reported_as_capped():
    PMScheduleFactory(next_due_date=DAY - timedelta(days=1), frequency=Frequency.DAILY)
    report = generate_pm_workorders(today=DAY, max_per_schedule=2)
    assert (report["created"], report["capped"]) == (2, 0)


def test_schedules_per_run_are_bounded_oldest_first():
    late = PMScheduleFactory(next_due_date=DAY)
    early = [PMScheduleFactory(next_due_date=DAY - timedelta(days=n)) for n in (3, 2)]
    report = generate_pm_workorders(today=DAY, max_schedules=2)
    assert (report["created"], report["schedules"], report["deferred"]) == (2, 2, 1)
    assert all(len(pm_orders(schedule)) == 1 for schedule in early)
    assert pm_orders(late) == []
    assert generate_pm_workorders(today=DAY, max_schedules=2)["created"] == 1
    assert due_dates(late) == [DAY]


def test_an_occurrence_that_already_has_its_work_order_is_skipped_not_duplicated():
    """next_due_date set back onto an occurrence already generated: the unique key keeps the existing
    work order, the run counts only what it inserted and moves on."""
    schedule = PMScheduleFactory(next_due_date=DAY - timedelta(days=1), frequency=Frequency.DAILY)
    generate_pm_workorders(today=DAY)
    PMSchedule.objects.filter(pk=schedule.pk).update(next_due_date=DAY - timedelta(days=1))
    numbers = set(WorkOrder.objects.values_list("work_number", flat=True))
    report = generate_pm_workorders(today=DAY + timedelta(days=1))
    assert (report["created"], report["schedules"]) == (1, 1)
    assert due_dates(schedule) == [DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)]
    assert set(WorkOrder.objects.values_list("work_number", flat=True)) >= numbers
    schedule.refresh_from_db()
    assert schedule.next_due_date == DAY + timedelta(days=2)


def test_the_unique_key_refuses_a_second_work_order_for_an_occurrence():
    schedule = PMScheduleFactory(next_due_date=DAY)
    generate_pm_workorders(today=DAY)
    (order,) = pm_orders(schedule)
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkOrderFactory(device=schedule.device, work_type=WorkType.PREVENTIVE, pm_schedule=schedule,
                         pm_due_date=DAY)
    assert pm_orders(schedule) == [order]


def test_deleting_a_schedule_keeps_its_work_orders():
    schedule = PMScheduleFactory(next_due_date=DAY)
    generate_pm_workorders(today=DAY)
    (order,) = pm_orders(schedule)
    services.pm_schedule_delete(schedule=schedule, by=None)
    order.refresh_from_db()
    assert (order.pm_schedule, order.pm_due_date) == (None, DAY)


# -- based_on: completed_date ------------------------------------------------------------------------
def test_completed_date_chain_waits_for_the_close_then_counts_from_the_completion():
    today = timezone.localdate()  # workorder_close stamps the real date
    due = today - timedelta(days=10)
    schedule = PMScheduleFactory(next_due_date=due, frequency=Frequency.MONTHLY, based_on=BasedOn.COMPLETED_DATE)
    assert generate_pm_workorders(today=today)["created"] == 1  # one at a time, even when late
    (order,) = pm_orders(schedule)
    assert order.pm_due_date == due
    waiting = generate_pm_workorders(today=today + timedelta(days=60))
    assert (waiting["created"], waiting["waiting_for_completion"]) == (0, 1)
    schedule.refresh_from_db()
    assert schedule.next_due_date == due  # the occurrence in flight
    close(order)
    order.refresh_from_db()
    assert order.completed_date == today
    rearm = generate_pm_workorders(today=today)
    assert (rearm["created"], rearm["rearmed"], rearm["waiting_for_completion"]) == (0, 1, 0)
    schedule.refresh_from_db()
    nxt = advance(today, Frequency.MONTHLY, 1)
    assert schedule.next_due_date == nxt  # from the completion, not from the due date
    assert generate_pm_workorders(today=nxt - timedelta(days=1))["created"] == 0
    assert generate_pm_workorders(today=nxt)["created"] == 1
    assert due_dates(schedule) == [due, nxt]
    assert generate_pm_workorders(today=nxt + timedelta(days=90))["waiting_for_completion"] == 1
    assert due_dates(schedule) == [due, nxt]


def test_completed_date_rearm_and_generate_in_one_run_when_the_next_one_is_already_open():
    today = timezone.localdate()
    schedule = PMScheduleFactory(next_due_date=today, frequency=Frequency.DAILY, interval=2,
                                 based_on=BasedOn.COMPLETED_DATE, lead_days=5)
    generate_pm_workorders(today=today)
    close(pm_orders(schedule)[0])
    report = generate_pm_workorders(today=today)
    assert (report["created"], report["rearmed"]) == (1, 1)
    assert due_dates(schedule) == [today, today + timedelta(days=2)]


def test_completed_date_next_occurrence_lies_after_the_previous_due_date():
    """Closed long before its due date (lead days): the next occurrence is still a later date."""
    today = timezone.localdate()
    schedule = PMScheduleFactory(next_due_date=today + timedelta(days=20), frequency=Frequency.DAILY,
                                 based_on=BasedOn.COMPLETED_DATE, lead_days=30)
    generate_pm_workorders(today=today)
    close(pm_orders(schedule)[0])
    generate_pm_workorders(today=today)
    assert due_dates(schedule) == [today + timedelta(days=20), today + timedelta(days=21)]


def test_a_waiting_schedule_does_not_take_another_s_place_in_the_run():
    waiting = PMScheduleFactory(next_due_date=DAY - timedelta(days=5), based_on=BasedOn.COMPLETED_DATE)
    generate_pm_workorders(today=DAY)
    other = PMScheduleFactory(next_due_date=DAY)
    report = generate_pm_workorders(today=DAY, max_schedules=1)
    assert (report["created"], report["waiting_for_completion"]) == (1, 1)
    assert len(pm_orders(waiting)) == 1 and len(pm_orders(other)) == 1


def test_switching_to_completed_date_waits_for_the_open_work_order():
    schedule = PMScheduleFactory(next_due_date=DAY, frequency=Frequency.WEEKLY)
    generate_pm_workorders(today=DAY)
    services.pm_schedule_update(schedule=schedule, by=None, based_on=BasedOn.COMPLETED_DATE)
    report = generate_pm_workorders(today=DAY + timedelta(days=7))
    assert (report["created"], report["waiting_for_completion"]) == (0, 1)
    assert due_dates(schedule) == [DAY]


def test_switching_a_waiting_schedule_to_scheduled_date_goes_on_without_a_duplicate():
    schedule = PMScheduleFactory(next_due_date=DAY, frequency=Frequency.WEEKLY, based_on=BasedOn.COMPLETED_DATE)
    generate_pm_workorders(today=DAY)
    services.pm_schedule_update(schedule=schedule, by=None, based_on=BasedOn.SCHEDULED_DATE)
    report = generate_pm_workorders(today=DAY + timedelta(days=7))
    assert report["created"] == 1  # DAY already had its work order: only DAY + 7 is new
    assert due_dates(schedule) == [DAY, DAY + timedelta(days=7)]


# -- statements per run ----------------------------------------------------------------------------
def _statements(count):
    engineer = UserFactory(engineer=True)
    for _ in range(count):
        PMScheduleFactory(next_due_date=DAY, device=DeviceFactory(assigned_engineer=engineer))
    PMScheduleFactory(next_due_date=DAY, based_on=BasedOn.COMPLETED_DATE)
    with CaptureQueriesContext(connection) as queries:
        report = generate_pm_workorders(today=DAY)
    assert report["created"] == count + 1
    return len(queries.captured_queries)


def _batches(rows, model, fields):
    size = connection.ops.bulk_batch_size(fields, [None] * rows) or rows
    return -(-rows // size)


def test_a_run_takes_the_same_statements_for_50_schedules_as_for_5():
    small = _statements(5)
    WorkOrder.objects.all().delete()
    PMSchedule.objects.all().delete()
    large = _statements(50)
    # PostgreSQL inserts any number of rows in one statement; SQLite splits the insert at its
    # 999-parameter bound (Django's bulk batch size): a statement per batch, never per row.
    insert_fields = [field for field in WorkOrder._meta.concrete_fields if not field.primary_key]
    extra = _batches(51, WorkOrder, insert_fields) - _batches(6, WorkOrder, insert_fields)
    assert large == small + extra
    assert small <= 12


# -- the doors: task and command ---------------------------------------------------------------------
def test_the_task_runs_the_generator_through_run_job(caplog):
    schedule = PMScheduleFactory()
    caplog.set_level("INFO", logger="meditrack.jobs")
    report = tasks.generate_pm_workorders.delay().get()
    assert report["created"] == 1
    assert len(pm_orders(schedule)) == 1
    assert "job generate_pm_workorders done" in caplog.text


def test_the_command_takes_a_date_and_a_cap_and_prints_the_report():
    schedule = PMScheduleFactory(next_due_date=DAY - timedelta(days=4), frequency=Frequency.DAILY)
    out = StringIO()
    call_command("generate_pm_workorders", "--today", DAY.isoformat(), "--max-per-schedule", "3", stdout=out)
    assert json.loads(out.getvalue())["created"] == 3
    assert due_dates(schedule) == [DAY - timedelta(days=n) for n in (4, 3, 2)]


@pytest.mark.parametrize("arguments", [["--today", "2027-02-30"], ["--max-per-schedule", "0"],
                                       ["--max-schedules", "x"]])
def test_the_command_refuses_bad_options(arguments):
    PMScheduleFactory(next_due_date=DAY)
    with pytest.raises(CommandError):
        call_command("generate_pm_workorders", *arguments, stdout=StringIO())
    assert not WorkOrder.objects.exists()
