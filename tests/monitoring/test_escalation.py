"""Alert escalation (monitoring.escalation): an open alert nobody acknowledged in time rises one
level (critical 5 minutes, warning 15, again after the same time, at most 3), its patient's doctors
and department nurses are notified in-app and by email, an `alert.escalated` event goes out; a pass
is idempotent, bounded, and two passes at once escalate once."""

import json
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from monitoring import escalation
from monitoring.choices import AlertKind, AlertSeverity, AlertStatus
from monitoring.escalation import escalate_alerts
from monitoring.models import Alert
from notifications.models import Notification
from tests.devices.helpers import run_concurrently
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, UserFactory
from tests.factories.monitoring import AlertFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes=0, seconds=0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def run(minutes=0, seconds=0, **kwargs):
    with time_machine.travel(at(minutes, seconds), tick=False):
        return escalate_alerts(**kwargs)


@pytest.fixture
def scene(db):
    """A patient (with a login) in a department, their mapped doctor, the department's nurses, and
    people who must not be told: a nurse elsewhere, an unmapped doctor, a mapped doctor still
    pending, the department's engineer, an inactive nurse of the department, an admin."""
    department = DepartmentFactory()
    patient_user = UserFactory(patient=True)
    patient = patient_user.patient_record
    patient.department = department
    patient.save(update_fields=["department"])
    doctor = UserFactory(doctor=True, department=department)
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    # Mapped, but a sign-up still pending (not practising): not told.
    PatientDoctorMappingFactory(patient=patient, doctor=UserFactory(doctor=True, pending=True).doctor_profile)
    return SimpleNamespace(
        department=department, patient=patient, patient_user=patient_user, doctor=doctor,
        nurses=[UserFactory(role=Role.NURSE, department=department) for _ in range(2)],
        other_nurse=UserFactory(role=Role.NURSE, department=DepartmentFactory()),
        other_doctor=UserFactory(doctor=True, department=department),
        engineer=UserFactory(role=Role.ENGINEER, department=department),
        inactive_nurse=UserFactory(role=Role.NURSE, department=department, is_active=False),
        admin=UserFactory(admin=True),
    )


def alert_for(patient, severity=AlertSeverity.CRITICAL, opened=T0, **fields):
    return AlertFactory(patient=patient, severity=severity, opened_at=opened, last_breach_at=opened, **fields)


def notified(alert):
    return set(Notification.objects.filter(kind="alert.escalated", data__alert=alert.pk)
               .values_list("user__username", flat=True))


def levels(alert):
    alert.refresh_from_db()
    return alert.escalation_level, alert.escalated_at


# --- when -----------------------------------------------------------------------------------------

def test_a_critical_alert_escalates_after_five_minutes_not_before(scene):
    alert = alert_for(scene.patient)
    assert run(4, 59)["escalated"] == 0
    assert levels(alert) == (0, None)
    report = run(5, 1)
    assert report == {"escalated": 1, "levels": {"1": 1}, "notifications": 3, "more_due": False}
    assert levels(alert) == (1, at(5, 1))


def test_a_warning_alert_escalates_after_fifteen_minutes_not_before(scene):
    alert = alert_for(scene.patient, severity=AlertSeverity.WARNING)
    assert run(5, 1)["escalated"] == 0
    assert run(14, 59)["escalated"] == 0
    assert levels(alert) == (0, None)
    assert run(15, 1)["escalated"] == 1
    assert levels(alert) == (1, at(15, 1))


def test_each_level_after_the_same_time_again_up_to_three(scene):
    alert = alert_for(scene.patient)
    run(5, 1)
    assert run(9, 59)["escalated"] == 0  # 4:58 since the first escalation
    assert levels(alert) == (1, at(5, 1))
    assert run(10, 2)["levels"] == {"2": 1}
    assert levels(alert) == (2, at(10, 2))
    assert run(15, 3)["levels"] == {"3": 1}
    assert run(21)["escalated"] == 0
    assert run(120)["escalated"] == 0
    assert levels(alert) == (3, at(15, 3))
    titles = sorted(Notification.objects.filter(user=scene.doctor).values_list("title", flat=True))
    mrn = scene.patient.medical_record_number
    assert titles == [f"Alert escalated to level {n}: tachycardia, patient {mrn}" for n in (1, 2, 3)]


def test_a_pass_after_a_long_pause_rises_one_level_not_several(scene):
    alert = alert_for(scene.patient)
    assert run(60)["levels"] == {"1": 1}
    assert levels(alert) == (1, at(60))
    assert run(61)["escalated"] == 0


@pytest.mark.parametrize("status", [AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED])
def test_acknowledged_and_resolved_alerts_never_escalate(scene, status):
    alert = alert_for(scene.patient, status=status)
    for minutes in (6, 20, 60, 600):
        assert run(minutes)["escalated"] == 0
    assert levels(alert) == (0, None)
    assert not Notification.objects.exists()


def test_an_alert_acknowledged_after_one_escalation_stops_there(scene):
    alert = alert_for(scene.patient)
    run(6)
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.ACKNOWLEDGED)
    assert run(30)["escalated"] == 0
    assert levels(alert) == (1, at(6))


def test_a_device_offline_alert_escalates_by_its_severity(scene):
    alert = alert_for(scene.patient, kind=AlertKind.DEVICE_OFFLINE, severity=AlertSeverity.WARNING,
                      first_value=None, last_value=None, peak_value=None)
    assert run(10)["escalated"] == 0
    assert run(15, 1)["escalated"] == 1
    assert levels(alert) == (1, at(15, 1))
    mrn = scene.patient.medical_record_number
    assert Notification.objects.filter(title=f"Alert escalated to level 1: device offline, patient {mrn}").count() == 3


# --- who is told, how -----------------------------------------------------------------------------

def test_the_patients_doctors_and_department_nurses_are_notified_and_nobody_else(scene):
    alert = alert_for(scene.patient)
    run(6)
    assert notified(alert) == {scene.doctor.username, *(nurse.username for nurse in scene.nurses)}
    notification = Notification.objects.filter(user=scene.nurses[0]).get()
    assert notification.data == {"alert": alert.pk, "patient": scene.patient.pk, "kind": "tachycardia",
                                 "severity": "critical", "escalation_level": 1}
    assert notification.read_at is None
    assert scene.patient.medical_record_number in notification.body and "Escalation level 1 of 3" in notification.body


def test_the_alert_note_is_not_sent(scene):
    alert_for(scene.patient, note="Patient reports chest pain after dialysis")
    run(6)
    assert not Notification.objects.filter(body__icontains="chest").exists()
    assert not Notification.objects.filter(title__icontains="chest").exists()


def test_an_escalation_with_nobody_to_tell_goes_to_the_admins(scene):
    orphan = UserFactory(patient=True).patient_record  # no department, no doctor
    alert = alert_for(orphan)
    run(6)
    assert notified(alert) == {scene.admin.username}


def test_emails_go_out_after_commit_one_per_recipient(scene, django_capture_on_commit_callbacks, mailoutbox):
    alert_for(scene.patient)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run(6)
    assert mailoutbox == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    mrn = scene.patient.medical_record_number
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        [scene.doctor.email, *(nurse.email for nurse in scene.nurses)])
    assert {message.subject for message in mailoutbox} == {f"Alert escalated to level 1: tachycardia, patient {mrn}"}


def test_the_alert_escalated_event_is_published(scene):
    alert = alert_for(scene.patient)
    with mock.patch.object(escalation, "publish") as publish:
        run(6)
        assert run(6, 30)["escalated"] == 0
    publish.assert_called_once_with("alert.escalated", {
        "id": alert.pk, "patient": scene.patient.pk, "kind": "tachycardia", "severity": "critical",
        "status": "open", "escalation_level": 1, "escalated_at": at(6).isoformat(),
    }, instance=mock.ANY)
    assert publish.call_args.kwargs["instance"].pk == alert.pk


def test_the_event_leaves_only_after_commit(scene, django_capture_on_commit_callbacks):
    alert_for(scene.patient)
    with mock.patch("core.events.deliver") as deliver, django_capture_on_commit_callbacks(execute=True):
        run(6)
        assert not deliver.called
    types = [call.args[0]["type"] for call in deliver.call_args_list]
    assert types.count("alert.escalated") == 1
    assert types.count("notification.created") == 3


# --- idempotent, bounded, set-based -----------------------------------------------------------------

def test_running_twice_in_the_same_minute_escalates_once(scene):
    alert = alert_for(scene.patient)
    assert run(6)["escalated"] == 1
    assert run(6)["escalated"] == 0
    assert run(6, 59)["escalated"] == 0
    assert levels(alert) == (1, at(6))
    assert Notification.objects.count() == 3


def test_a_pass_is_bounded_and_takes_the_oldest_first(scene, settings):
    settings.ALERT_ESCALATION_MAX_PER_RUN = 2
    patients = [UserFactory(patient=True).patient_record for _ in range(3)]
    alerts = [alert_for(patient, opened=at(-i)) for i, patient in enumerate(patients)]
    report = run(10)
    assert report["escalated"] == 2 and report["more_due"] is True
    assert [levels(alert)[0] for alert in alerts] == [0, 1, 1]
    assert run(10, 30) == {"escalated": 1, "levels": {"1": 1}, "notifications": 1, "more_due": False}
    assert [levels(alert)[0] for alert in alerts] == [1, 1, 1]


def test_statements_per_pass_do_not_grow_with_recipients_or_alerts_beyond_one_insert_each(scene):
    def statements(count):
        Alert.objects.all().delete()
        for _ in range(count):
            patient = UserFactory(patient=True).patient_record
            patient.department = scene.department
            patient.save(update_fields=["department"])
            PatientDoctorMappingFactory(patient=patient, doctor=scene.doctor.doctor_profile)
            alert_for(patient)
        with time_machine.travel(at(6), tick=False), CaptureQueriesContext(connection) as queries:
            assert escalate_alerts()["escalated"] == count
        return len(queries.captured_queries)

    few, many = statements(2), statements(12)
    assert many - few == 10  # one notification INSERT per further alert, nothing else
    # savepoint/begin+commit, 6 set-based statements (one the audit INSERT), 1 insert per alert
    assert few <= 2 + 6 + 2 * 1


# --- the doors: task and command ------------------------------------------------------------------

def test_the_command_takes_now_and_prints_the_report(scene):
    alert = alert_for(scene.patient)
    out = StringIO()
    call_command("escalate_alerts", "--now", "2026-03-02T09:04:59+00:00", stdout=out)
    assert json.loads(out.getvalue())["escalated"] == 0
    out = StringIO()
    call_command("escalate_alerts", "--now", "2026-03-02T09:05:01", stdout=out)  # no offset: UTC
    assert json.loads(out.getvalue()) == {"escalated": 1, "levels": {"1": 1}, "notifications": 3, "more_due": False}
    assert levels(alert) == (1, at(5, 1))


def test_the_command_refuses_a_bad_now(db):
    with pytest.raises(CommandError, match="--now"):
        call_command("escalate_alerts", "--now", "yesterday")


def test_the_task_runs_the_pass_through_run_job(scene, caplog):
    from monitoring.tasks import escalate_alerts as task

    alert_for(scene.patient)
    with time_machine.travel(at(6), tick=False):
        caplog.set_level("INFO", logger="meditrack.jobs")
        assert task.delay().get()["escalated"] == 1
    assert any(record.getMessage().startswith("job escalate_alerts done") for record in caplog.records)


# --- two passes at once -----------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_escalate_each_alert_once(scene):
    alerts = [alert_for(scene.patient, kind=kind) for kind in (AlertKind.TACHYCARDIA, AlertKind.BRADYCARDIA)]
    reports = run_concurrently(2, lambda i: escalate_alerts(now=at(6)))
    assert sum(report["escalated"] for report in reports) == 2
    assert [levels(alert)[0] for alert in alerts] == [1, 1]
    assert Notification.objects.count() == 2 * 3


@pytest.mark.django_db(transaction=True)
def test_a_pass_running_meanwhile_skips_the_locked_alerts(scene, monkeypatch):
    """PostgreSQL: while one pass holds its alerts (FOR UPDATE), a second pass skips them at once
    (SKIP LOCKED) instead of waiting, and escalates nothing; the alert rises one level."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite serialises whole transactions)")
    alert = alert_for(scene.patient)
    holding, second_done = threading.Event(), threading.Event()
    results = {}
    real_notify = escalation.notify

    def notify_holding_the_lock(**kwargs):
        if not holding.is_set():
            holding.set()
            results["second finished meanwhile"] = second_done.wait(15)
        return real_notify(**kwargs)

    monkeypatch.setattr(escalation, "notify", notify_holding_the_lock)

    def first():
        try:
            results["first"] = escalate_alerts(now=at(6))
        finally:
            connection.close()

    def second():
        try:
            assert holding.wait(15)
            results["second"] = escalate_alerts(now=at(6))
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results["second finished meanwhile"] is True
    assert results["first"]["escalated"] == 1 and results["second"]["escalated"] == 0
    assert levels(alert) == (1, at(6))
    assert Notification.objects.count() == 3
