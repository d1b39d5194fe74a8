"""The stale-monitor check (monitoring.stale.check_stale_monitors): a silent assigned monitor raises
exactly one technical alert, one corrective work order and one downtime period; they close by
themselves when data flows again; a second pass changes nothing; the detection's statement count
does not grow with the number of monitors. Readings are written with bulk_create (not the ingest)."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from devices.choices import DeviceStatus
from devices.models import DowntimePeriod
from devices.services import device_assign_patient, device_set_status, device_unassign_patient
from monitoring import stale_actions
from monitoring.choices import AlertKind, AlertSeverity, AlertStatus
from monitoring.models import Alert, Reading
from monitoring.stale import check_stale_monitors
from notifications.models import Notification
from tests.devices.helpers import count_queries
from tests.factories import DepartmentFactory, PatientFactory, UserFactory
from tests.factories.equipment import DeviceFactory
from tests.factories.monitoring import AlertFactory
from workorders.choices import Priority, WorkOrderStatus, WorkType
from workorders.models import WorkOrder
from workorders.services import workorder_close, workorder_start, workorder_update

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LAST = T0 - timedelta(minutes=10)  # the fixture monitor's newest reading: silent for 600 s at T0
SECRET = "Confidential: history of arrhythmia"


def at(moment):
    """Freeze the clock at `moment` (the services stamp their own times)."""
    return time_machine.travel(moment, tick=False)


def add_readings(device, start, end, *, patient=None, step=60):
    """One reading every `step` seconds from start to end (both included)."""
    rows, moment = [], start
    while moment <= end:
        rows.append(Reading(device=device, patient=patient or device.patient, bpm=72, recorded_at=moment))
        moment += timedelta(seconds=step)
    Reading.objects.bulk_create(rows)


def new_monitor(department, engineer, *, at=T0 - timedelta(hours=1), **patient_fields):
    with time_machine.travel(at, tick=False):
        patient = PatientFactory(department=department, **patient_fields)
        return DeviceFactory(monitor=True, patient=patient, assigned_engineer=engineer)


@pytest.fixture
def ward(db):
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        department = DepartmentFactory()
        ward = SimpleNamespace(
            department=department,
            nurse=UserFactory(nurse=True, department=department),
            second_nurse=UserFactory(nurse=True, department=department),
            inactive_nurse=UserFactory(nurse=True, department=department, is_active=False),
            other_nurse=UserFactory(nurse=True, department=DepartmentFactory()),
            engineer=UserFactory(engineer=True),
            doctor=UserFactory(doctor=True),
            admin=UserFactory(admin=True),
        )
    ward.monitor = new_monitor(department, ward.engineer, medical_history=SECRET)
    ward.patient = ward.monitor.patient
    add_readings(ward.monitor, T0 - timedelta(minutes=30), LAST)
    return ward


@pytest.fixture
def events(monkeypatch):
    sent = []
    monkeypatch.setattr("core.events.deliver", sent.append)
    return sent


@pytest.fixture
def run(django_capture_on_commit_callbacks, events):
    """run(at, **kwargs): one pass at `at` (time frozen), its on-commit work (events, emails) executed."""

    def go(at, **kwargs):
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            return check_stale_monitors(**kwargs)

    return go


def report(**counts):
    return {"went_offline": 0, "came_back": 0, "no_longer_watched": 0, "still_offline": 0, "capped": 0,
            "failed": 0, **counts}


def state():
    """Everything the check writes, to compare two passes."""
    return (
        list(Alert.objects.order_by("pk").values()),
        list(WorkOrder.objects.order_by("pk").values()),
        list(DowntimePeriod.objects.order_by("pk").values()),
        list(Notification.objects.order_by("pk").values("pk", "user_id", "kind")),
    )


def types(events):
    """The alert and device events, in order (work-order and notification events are their services')."""
    return [event["type"] for event in events if event["type"].split(".")[0] in ("alert", "device")]


# --- going offline -------------------------------------------------------------------------------

def test_a_silent_monitor_raises_one_alert_one_work_order_and_one_downtime(ward, run):
    assert run(T0) == report(went_offline=1)

    alert = Alert.objects.get()
    work_order = WorkOrder.objects.get()
    downtime = DowntimePeriod.objects.get()
    assert (alert.kind, alert.severity, alert.status) == (AlertKind.DEVICE_OFFLINE, AlertSeverity.WARNING,
                                                         AlertStatus.OPEN)
    assert (alert.patient, alert.device, alert.work_order) == (ward.patient, ward.monitor, work_order)
    assert (alert.first_value, alert.last_value, alert.peak_value) == (None, None, None)
    assert alert.device_suspect is False
    assert alert.opened_at == alert.last_breach_at == T0
    assert (alert.escalation_level, alert.acknowledged_by, alert.resolved_by, alert.resolved_at) == (0, None, None,
                                                                                                    None)
    assert alert.note == f"Monitor {ward.monitor.asset_number} has sent no data since 2026-12-01 11:50:00 UTC."

    assert (work_order.work_type, work_order.priority, work_order.status) == (WorkType.CORRECTIVE, Priority.HIGH,
                                                                              WorkOrderStatus.OPEN)
    assert (work_order.device, work_order.assigned_to, work_order.created_by) == (ward.monitor, ward.engineer, None)
    assert work_order.due_date == T0.date() + timedelta(days=3)
    assert work_order.technical_action == ""
    assert ward.monitor.asset_number in work_order.description
    assert f"room {ward.monitor.room.number}" in work_order.description
    assert "no data since 2026-12-01 11:50:00 UTC" in work_order.description
    for clinical in (ward.patient.last_name, ward.patient.medical_record_number, SECRET):
        assert clinical not in work_order.description

    assert (downtime.device, downtime.work_order, downtime.opened_by) == (ward.monitor, work_order, None)
    assert (downtime.started_at, downtime.ended_at, downtime.status) == (T0, None, "")
    assert downtime.reason == "Monitor silent since 2026-12-01 11:50:00 UTC"
    ward.monitor.refresh_from_db()
    assert ward.monitor.status == DeviceStatus.ACTIVE  # silent, not out of service by its status


def test_running_the_check_again_changes_nothing(ward, run, events):
    run(T0)
    before, sent = state(), len(events)
    assert run(T0 + timedelta(seconds=30)) == report(still_offline=1)
    assert run(T0 + timedelta(minutes=10)) == report(still_offline=1)
    assert state() == before
    assert len(events) == sent


@pytest.mark.parametrize(("silent_for", "raised"), [(299, 0), (300, 0), (301, 1)])
def test_silence_counts_from_the_newest_reading(ward, run, silent_for, raised):
    assert run(LAST + timedelta(seconds=silent_for))["went_offline"] == raised
    assert Alert.objects.count() == WorkOrder.objects.count() == DowntimePeriod.objects.count() == raised


def test_the_window_follows_the_setting(ward, run, settings):
    settings.MONITOR_STALE_SECONDS = 900
    assert run(T0)["went_offline"] == 0  # 600 s of silence is not 900
    assert run(LAST + timedelta(seconds=901))["went_offline"] == 1


def test_an_unassigned_monitor_never_raises(ward, run):
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        free = DeviceFactory(monitor=True, assigned_engineer=ward.engineer)  # never sent anything
    add_readings(free, T0 - timedelta(hours=1), T0 - timedelta(minutes=50), patient=PatientFactory())
    with at(T0 - timedelta(minutes=30)):
        device_unassign_patient(device=ward.monitor, by=None)
    assert run(T0 + timedelta(hours=2)) == report()
    assert not Alert.objects.exists() and not WorkOrder.objects.exists() and not DowntimePeriod.objects.exists()


@pytest.mark.parametrize("status", [DeviceStatus.INACTIVE, DeviceStatus.MAINTENANCE])
def test_a_monitor_out_of_service_never_raises(ward, run, status):
    with at(T0 - timedelta(minutes=20)):
        device_set_status(device=ward.monitor, by=None, status=status)
    assert run(T0 + timedelta(hours=1)) == report()
    assert not Alert.objects.exists() and not WorkOrder.objects.exists()
    assert DowntimePeriod.objects.get().status == status  # the status service's own period, untouched


def test_equipment_is_never_watched(ward, run):
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        DeviceFactory(assigned_engineer=ward.engineer)  # an infusion pump sends no readings
    with at(T0 - timedelta(minutes=30)):
        device_unassign_patient(device=ward.monitor, by=None)
    assert run(T0) == report()


def test_a_monitor_that_never_sent_anything_is_silent_from_its_assignment(ward, run):
    fresh = new_monitor(ward.department, ward.engineer, at=T0 - timedelta(minutes=4))
    assert run(T0)["went_offline"] == 1  # only the fixture's monitor: the fresh one is 240 s in
    assert run(T0 + timedelta(minutes=2))["went_offline"] == 1
    alert = Alert.objects.get(device=fresh)
    assert alert.note == (f"Monitor {fresh.asset_number} has sent no data since 2026-12-01 11:56:00 UTC "
                          "(no reading since it was assigned or last changed).")


def test_a_monitor_moved_to_another_patient_starts_counting_again(ward, run):
    newcomer = PatientFactory(department=ward.department)
    with at(T0 - timedelta(minutes=2)):
        device_unassign_patient(device=ward.monitor, by=None)
        device_assign_patient(device=ward.monitor, patient=newcomer, by=None)
    assert run(T0)["went_offline"] == 0  # the old patient's readings are older, but it was assigned 120 s ago
    assert run(T0 + timedelta(minutes=4))["went_offline"] == 1
    assert Alert.objects.get().patient == newcomer


# --- who is told -----------------------------------------------------------------------------------

def test_the_departments_nurses_are_notified_and_nobody_else(ward, run):
    run(T0)
    offline = Notification.objects.filter(kind="device.offline")
    assert sorted(offline.values_list("user_id", flat=True)) == sorted([ward.nurse.pk, ward.second_nurse.pk])
    note = offline.first()
    assert ward.patient.medical_record_number in note.title
    assert SECRET not in note.title + note.body
    alert, work_order = Alert.objects.get(), WorkOrder.objects.get()
    assert note.data["alert"] == alert.pk and note.data["work_order"] == work_order.pk
    engineer = Notification.objects.get(kind="workorder.assigned")
    assert engineer.user == ward.engineer and work_order.work_number in engineer.title
    assert ward.patient.medical_record_number not in engineer.title + engineer.body
    assert set(Notification.objects.values_list("user_id", flat=True)) == {
        ward.nurse.pk, ward.second_nurse.pk, ward.engineer.pk}
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        [ward.nurse.email, ward.second_nurse.email, ward.engineer.email])


def test_a_patient_without_a_department_notifies_no_nurse(ward, run):
    ward.patient.department = None
    ward.patient.save()
    run(T0)
    assert Alert.objects.count() == 1
    assert not Notification.objects.filter(kind="device.offline").exists()


def test_events_go_out_after_commit_about_the_alert_and_the_monitor(ward, run, events):
    run(T0)
    alert, work_order = Alert.objects.get(), WorkOrder.objects.get()
    by_type = {event["type"]: event for event in events}
    assert types(events) == ["alert.opened", "device.offline"]
    assert (by_type["alert.opened"]["model"], by_type["alert.opened"]["pk"]) == ("monitoring.Alert", alert.pk)
    assert by_type["alert.opened"]["data"] == {
        "id": alert.pk, "kind": "device_offline", "severity": "warning", "status": "open",
        "patient": ward.patient.pk, "device": ward.monitor.pk, "work_order": work_order.pk}
    assert (by_type["device.offline"]["model"], by_type["device.offline"]["pk"]) == ("devices.Device", ward.monitor.pk)
    assert by_type["device.offline"]["data"] == {
        "id": ward.monitor.pk, "patient": ward.patient.pk, "alert": alert.pk, "work_order": work_order.pk,
        "silent_since": LAST.isoformat()}
    notified = [event for event in events if event["type"] == "notification.created"]
    assert sorted(user for event in notified for user in event["user_ids"]) == sorted(
        [ward.nurse.pk, ward.second_nurse.pk, ward.engineer.pk])


# --- data again ----------------------------------------------------------------------------------

def back_at(ward, moment):
    add_readings(ward.monitor, moment, moment)


def test_data_again_closes_the_alert_the_downtime_and_the_untouched_work_order(ward, run, events):
    run(T0)
    events.clear()
    back_at(ward, T0 + timedelta(minutes=2))
    assert run(T0 + timedelta(minutes=3)) == report(came_back=1)

    alert, work_order, downtime = Alert.objects.get(), WorkOrder.objects.get(), DowntimePeriod.objects.get()
    assert (alert.status, alert.resolved_by, alert.resolved_at) == (AlertStatus.RESOLVED, None,
                                                                   T0 + timedelta(minutes=3))
    assert alert.note.endswith("\nData flowing again at 2026-12-01 12:02:00 UTC.")
    assert downtime.ended_at == T0 + timedelta(minutes=3) and downtime.closed_by is None
    assert downtime.reason == ("Monitor silent since 2026-12-01 11:50:00 UTC; "
                               "Data flowing again at 2026-12-01 12:02:00 UTC")
    assert work_order.status == WorkOrderStatus.CLOSED
    assert work_order.technical_action == ("Closed automatically: data flowing again at 2026-12-01 12:02:00 UTC "
                                           "(no intervention recorded).")
    assert work_order.completed_at == T0 + timedelta(minutes=3)

    assert types(events) == ["alert.resolved", "device.online"]
    resolved, online = (next(event for event in events if event["type"] == kind)
                        for kind in ("alert.resolved", "device.online"))
    assert (resolved["model"], resolved["pk"], resolved["data"]["reason"]) == ("monitoring.Alert", alert.pk, "flowing")
    assert (online["model"], online["pk"]) == ("devices.Device", ward.monitor.pk)
    assert online["data"]["data_since"] == (T0 + timedelta(minutes=2)).isoformat()
    online_notes = Notification.objects.filter(kind="device.online")
    assert sorted(online_notes.values_list("user_id", flat=True)) == sorted([ward.nurse.pk, ward.second_nurse.pk])

    assert run(T0 + timedelta(minutes=4)) == report()  # and again: nothing more


def test_a_reading_filling_the_gap_but_still_old_is_not_data_flowing(ward, run):
    run(T0)
    back_at(ward, T0 - timedelta(minutes=8))  # a late upload from before the alert: still silent now
    assert run(T0 + timedelta(minutes=3)) == report(still_offline=1)
    assert Alert.objects.get().status == AlertStatus.OPEN


def test_a_work_order_the_engineer_started_keeps_its_status_and_gets_a_note(ward, run):
    run(T0)
    work_order = WorkOrder.objects.get()
    workorder_start(work_order=work_order, by=ward.engineer)
    back_at(ward, T0 + timedelta(minutes=2))
    assert run(T0 + timedelta(minutes=3)) == report(came_back=1)
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.IN_PROGRESS
    assert work_order.technical_action == (
        "Note (automatic): data flowing again at 2026-12-01 12:02:00 UTC; the technical alert and the downtime "
        "closed. Close this work order once checked.")
    assert Alert.objects.get().status == AlertStatus.RESOLVED
    assert DowntimePeriod.objects.get().ended_at is not None


def test_a_work_order_with_a_technical_action_keeps_it_and_gets_the_note_after_it(ward, run):
    run(T0)
    work_order = WorkOrder.objects.get()
    workorder_update(work_order=work_order, by=ward.engineer, technical_action="Replaced the network cable.")
    back_at(ward, T0 + timedelta(minutes=2))
    run(T0 + timedelta(minutes=3))
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.OPEN
    assert work_order.technical_action.startswith("Replaced the network cable.\nNote (automatic): data flowing again")


def test_a_work_order_the_engineer_closed_is_left_alone(ward, run):
    run(T0)
    work_order = WorkOrder.objects.get()
    workorder_start(work_order=work_order, by=ward.engineer)
    workorder_close(work_order=work_order, by=ward.engineer, technical_action="Rebooted the monitor.")
    back_at(ward, T0 + timedelta(minutes=2))
    assert run(T0 + timedelta(minutes=3)) == report(came_back=1)
    work_order.refresh_from_db()
    assert (work_order.status, work_order.technical_action) == (WorkOrderStatus.CLOSED, "Rebooted the monitor.")


def test_silence_after_recovery_opens_a_new_alert_and_work_order(ward, run):
    run(T0)
    back_at(ward, T0 + timedelta(minutes=2))
    run(T0 + timedelta(minutes=3))
    assert run(T0 + timedelta(minutes=7, seconds=1)) == report(went_offline=1)
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1
    assert Alert.objects.count() == WorkOrder.objects.count() == DowntimePeriod.objects.count() == 2
    assert DowntimePeriod.objects.filter(ended_at__isnull=True).get().work_order == Alert.objects.get(
        status=AlertStatus.OPEN).work_order


def test_an_acknowledged_offline_alert_resolves_too(ward, run):
    run(T0)
    Alert.objects.update(status=AlertStatus.ACKNOWLEDGED, acknowledged_by=ward.nurse, acknowledged_at=T0)
    back_at(ward, T0 + timedelta(minutes=2))
    assert run(T0 + timedelta(minutes=3)) == report(came_back=1)
    alert = Alert.objects.get()
    assert (alert.status, alert.acknowledged_by, alert.resolved_by) == (AlertStatus.RESOLVED, ward.nurse, None)


# --- no longer watched -----------------------------------------------------------------------------

def test_a_monitor_unassigned_while_offline_resolves_its_alert_and_ends_its_downtime(ward, run, events):
    run(T0)
    events.clear()
    with at(T0 + timedelta(seconds=30)):
        device_unassign_patient(device=ward.monitor, by=ward.nurse)
    assert run(T0 + timedelta(minutes=1)) == report(no_longer_watched=1)
    alert, work_order, downtime = Alert.objects.get(), WorkOrder.objects.get(), DowntimePeriod.objects.get()
    assert (alert.status, alert.resolved_by) == (AlertStatus.RESOLVED, None)
    assert "Monitor unassigned from the patient" in alert.note
    assert downtime.ended_at == T0 + timedelta(minutes=1)
    assert work_order.status == WorkOrderStatus.OPEN  # the engineer still checks why it went silent
    assert types(events) == ["alert.resolved"]
    assert run(T0 + timedelta(minutes=2)) == report()


def test_a_monitor_taken_out_of_service_while_offline_resolves_its_alert_only(ward, run):
    run(T0)
    with at(T0 + timedelta(seconds=30)):
        device_set_status(device=ward.monitor, by=ward.engineer, status=DeviceStatus.MAINTENANCE)
    assert run(T0 + timedelta(minutes=1)) == report(no_longer_watched=1)
    alert, work_order, downtime = Alert.objects.get(), WorkOrder.objects.get(), DowntimePeriod.objects.get()
    assert alert.status == AlertStatus.RESOLVED and "taken out of service (maintenance" in alert.note
    assert (downtime.ended_at, downtime.status) == (None, DeviceStatus.MAINTENANCE)
    assert work_order.status == WorkOrderStatus.OPEN
    # Back in service, still silent: a new alert (its downtime is the status service's, closed on return).
    with at(T0 + timedelta(minutes=2)):
        device_set_status(device=ward.monitor, by=ward.engineer, status=DeviceStatus.ACTIVE)
    assert run(T0 + timedelta(minutes=3))["went_offline"] == 0  # back 60 s ago: not yet silent for 300 s
    assert run(T0 + timedelta(minutes=7, seconds=1))["went_offline"] == 1


def test_an_offline_alert_whose_monitor_is_gone_resolves(ward, run):
    with at(T0):
        AlertFactory(patient=ward.patient, device=None, kind=AlertKind.DEVICE_OFFLINE,
                     first_value=None, last_value=None, peak_value=None, note="No data.")
    assert run(T0 + timedelta(minutes=1)) == report(no_longer_watched=1, went_offline=1)
    gone = Alert.objects.get(device=None)
    assert gone.status == AlertStatus.RESOLVED
    assert gone.note.endswith("Monitor deleted (seen at 2026-12-01 12:01:00 UTC).")
    assert Alert.objects.get(device=ward.monitor).status == AlertStatus.OPEN  # the patient's own monitor is silent


# --- bounds and statements -----------------------------------------------------------------------

def test_a_pass_is_bounded_and_reports_what_it_left(ward, run):
    for _ in range(3):
        new_monitor(ward.department, ward.engineer)
    assert run(T0, limit=2) == report(went_offline=2, capped=2)
    assert run(T0, limit=2) == report(went_offline=2, still_offline=2)
    assert run(T0, limit=2) == report(still_offline=4)


def test_one_monitor_failing_rolls_back_alone_and_the_others_go_on(ward, run, monkeypatch, caplog):
    second = new_monitor(ward.department, ward.engineer)
    real = stale_actions.workorder_create

    def failing(*, device, **kwargs):
        if device.pk == ward.monitor.pk:
            raise RuntimeError("work-order numbering is down")
        return real(device=device, **kwargs)

    monkeypatch.setattr(stale_actions, "workorder_create", failing)
    assert run(T0) == report(went_offline=1, failed=1)
    assert "check_stale_monitors: raising failed" in caplog.text
    assert list(Alert.objects.values_list("device_id", flat=True)) == [second.pk]  # nothing half-made for the first
    assert list(DowntimePeriod.objects.values_list("device_id", flat=True)) == [second.pk]
    monkeypatch.setattr(stale_actions, "workorder_create", real)
    assert run(T0 + timedelta(seconds=30)) == report(went_offline=1, still_offline=1)


def monitors_with_data(ward, count):
    for _ in range(count):
        monitor = new_monitor(ward.department, ward.engineer)
        add_readings(monitor, T0 - timedelta(minutes=2), T0 - timedelta(minutes=1))


def test_the_detection_takes_the_same_statements_for_3_or_30_monitors(ward, run):
    run(T0)  # the fixture's monitor is offline: one live alert to look at
    monitors_with_data(ward, 3)
    few, first = count_queries(lambda: run(T0 + timedelta(seconds=10)))
    monitors_with_data(ward, 27)
    many, second = count_queries(lambda: run(T0 + timedelta(seconds=20)))
    assert first == second == report(still_offline=1)
    assert few == many <= 3


# --- doors -------------------------------------------------------------------------------------

def test_the_command_runs_one_pass_and_prints_its_report(ward, capsys, caplog, django_capture_on_commit_callbacks):
    caplog.set_level("INFO", logger="meditrack.jobs")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_stale_monitors", "--now", "2026-12-01T12:00:00+00:00")
    assert json.loads(capsys.readouterr().out) == report(went_offline=1)
    assert "job check_stale_monitors done" in caplog.text
    call_command("check_stale_monitors", "--now", "2026-12-01T12:00:30Z", "--limit", "5")
    assert json.loads(capsys.readouterr().out) == report(still_offline=1)


@pytest.mark.parametrize("arguments", [["--now", "yesterday"], ["--limit", "0"], ["--limit", "many"]])
def test_the_command_refuses_bad_options(ward, arguments):
    with pytest.raises(CommandError):
        call_command("check_stale_monitors", *arguments)
    assert not Alert.objects.exists()


def test_the_celery_task_runs_the_same_pass(ward, run):
    from monitoring.tasks import check_stale_monitors as task  # the beat entry's task

    with at(T0):
        assert task.apply().result == report(went_offline=1)
    assert Alert.objects.get().device == ward.monitor
