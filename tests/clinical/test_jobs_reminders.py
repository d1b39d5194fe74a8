"""Appointment reminders (clinical.jobs.send_appointment_reminders): 24 hours ahead, once per start
time (a rescheduled appointment gets one for its new time), by email, SMS and in-app, without
clinical text."""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.management import call_command

from accounts.choices import Role
from clinical import tasks
from clinical.choices import AppointmentStatus
from clinical.jobs import REMINDER_KIND, send_appointment_reminders
from clinical.models import Appointment, Patient
from clinical.services import appointment_cancel, appointment_reschedule
from core import sms
from notifications.models import Notification
from tests.factories import DepartmentFactory, DoctorProfileFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # TIME_ZONE is UTC: local wall clock = UTC
TOMORROW = date(2026, 3, 11)
CLINICAL_TEXT = "Chest pain since Monday"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def doctor():
    user = UserFactory(role=Role.DOCTOR, first_name="Jane", last_name="Doe",
                       department=DepartmentFactory(name="Cardiology"))
    return DoctorProfileFactory(user=user)


@pytest.fixture
def patient():
    user = UserFactory(role=Role.PATIENT, first_name="Pat", last_name="Smith", email="pat@example.org")
    return PatientFactory(user=user, first_name="Pat", last_name="Smith", phone="+966501234567",
                          email="record@example.org")


def book(doctor, patient, day=TOMORROW, start=time(7, 0), status=AppointmentStatus.SCHEDULED):
    end = (datetime.combine(day, start) + timedelta(minutes=30)).time()
    slot = TimeSlotFactory(doctor=doctor, date=day, start_time=start, end_time=end)
    return AppointmentFactory(slot=slot, patient=patient, status=status, reason=CLINICAL_TEXT)


def run(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return send_appointment_reminders(**kwargs)


def test_a_reminder_goes_out_once_by_email_sms_and_in_app(doctor, patient, mailoutbox, sms_outbox,
                                                          django_capture_on_commit_callbacks):
    appointment = book(doctor, patient)  # tomorrow 07:00: 23 hours ahead
    first = run(django_capture_on_commit_callbacks)
    second = run(django_capture_on_commit_callbacks)

    assert first == {"candidates": 1, "reminded": 1, "already_reminded": 0, "in_app": 1, "emails": 1, "sms": 1,
                     "invalid_phone": 0, "no_contact": 0}
    assert second["candidates"] == 0 and second["reminded"] == 0
    [email] = mailoutbox
    assert email.to == ["pat@example.org"]  # the login's address: one email, through notify
    [text] = sms_outbox
    assert text["to"] == "+966501234567"
    [notification] = Notification.objects.filter(user=patient.user)
    assert notification.kind == REMINDER_KIND
    assert notification.data == {"appointment": appointment.pk, "starts_at": "2026-03-11T07:00:00+00:00",
                                 "doctor": doctor.pk, "status": "scheduled"}
    appointment.refresh_from_db()
    assert appointment.reminded_for == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)
    for message in (email.subject, email.body, text["body"], notification.title, notification.body):
        assert CLINICAL_TEXT not in message
    assert "2026-03-11" in email.subject and "07:00" in email.subject and "Dr Jane Doe" in email.subject
    assert "Wednesday 11 March 2026 at 07:00" in email.body and "Dr Jane Doe (Cardiology)" in email.body
    assert text["body"] == ("MediTrack reminder: your appointment with Dr Jane Doe (Cardiology) is on "
                            "2026-03-11 at 07:00.")
    assert email.subject == notification.title and email.body == notification.body


def test_a_rescheduled_appointment_gets_a_new_reminder_for_its_new_time(doctor, patient, mailoutbox, sms_outbox,
                                                                        django_capture_on_commit_callbacks):
    appointment = book(doctor, patient, start=time(7, 0))
    run(django_capture_on_commit_callbacks)
    new_slot = TimeSlotFactory(doctor=doctor, date=TOMORROW, start_time=time(6, 0), end_time=time(6, 30))
    appointment_reschedule(appointment=appointment, slot=new_slot, by=patient.user)

    report = run(django_capture_on_commit_callbacks)
    assert report["reminded"] == 1
    assert len(mailoutbox) == 2 and len(sms_outbox) == 2
    assert "06:00" in mailoutbox[1].subject and "06:00" in sms_outbox[1]["body"]
    appointment.refresh_from_db()
    assert appointment.reminded_for == datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
    assert run(django_capture_on_commit_callbacks)["reminded"] == 0  # once for the new time too
    assert Notification.objects.filter(user=patient.user, kind=REMINDER_KIND).count() == 2


def test_moved_further_away_it_is_reminded_when_the_new_time_comes_near(doctor, patient, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    appointment = book(doctor, patient, start=time(7, 0))
    run(django_capture_on_commit_callbacks)
    later = TimeSlotFactory(doctor=doctor, date=date(2026, 3, 14), start_time=time(9, 0), end_time=time(9, 30))
    appointment_reschedule(appointment=appointment, slot=later, by=patient.user)
    assert run(django_capture_on_commit_callbacks)["reminded"] == 0  # 4 days ahead: not yet
    with time_machine.travel(datetime(2026, 3, 13, 9, 0, tzinfo=UTC), tick=False):
        assert run(django_capture_on_commit_callbacks)["reminded"] == 1
    assert len(mailoutbox) == 2


def test_cancelled_started_and_finished_appointments_get_none(doctor, patient, mailoutbox, sms_outbox,
                                                              django_capture_on_commit_callbacks):
    cancelled = book(doctor, patient, start=time(7, 0))
    appointment_cancel(appointment=cancelled, by=patient.user, reason="travel")
    for hour, status in [(9, AppointmentStatus.IN_PROGRESS), (10, AppointmentStatus.COMPLETED),
                         (11, AppointmentStatus.NO_SHOW)]:
        book(doctor, PatientFactory(phone="+966501234500"), start=time(hour - 8, 0), status=status)
    report = run(django_capture_on_commit_callbacks)
    assert report["candidates"] == 0 and report["reminded"] == 0
    assert mailoutbox == [] and sms_outbox == [] and not Notification.objects.exists()


def test_confirmed_appointments_are_reminded_too(doctor, patient, django_capture_on_commit_callbacks):
    book(doctor, patient, status=AppointmentStatus.CONFIRMED)
    assert run(django_capture_on_commit_callbacks)["reminded"] == 1


def test_only_the_next_24_hours(doctor, patient, mailoutbox, django_capture_on_commit_callbacks):
    at_the_edge = book(doctor, patient, start=time(8, 0))  # exactly 24 hours ahead: in
    beyond = book(doctor, PatientFactory(), start=time(8, 30))  # 24.5 hours: not yet
    earlier_today = book(doctor, PatientFactory(), day=date(2026, 3, 10), start=time(7, 30))  # started: no
    report = run(django_capture_on_commit_callbacks)
    assert report["reminded"] == 1
    assert set(Appointment.objects.exclude(reminded_for=None).values_list("pk", flat=True)) == {at_the_edge.pk}
    beyond.refresh_from_db()
    earlier_today.refresh_from_db()
    assert beyond.reminded_for is None and earlier_today.reminded_for is None
    with time_machine.travel(datetime(2026, 3, 10, 8, 30, tzinfo=UTC), tick=False):
        assert run(django_capture_on_commit_callbacks)["reminded"] == 1  # now its turn
    assert len(mailoutbox) == 2


def test_a_patient_without_a_login_is_emailed_at_the_record_address(doctor, mailoutbox, sms_outbox,
                                                                    django_capture_on_commit_callbacks):
    book(doctor, PatientFactory(user=None, email="record@example.org", phone=""))
    report = run(django_capture_on_commit_callbacks)
    assert report == {"candidates": 1, "reminded": 1, "already_reminded": 0, "in_app": 0, "emails": 1, "sms": 0,
                      "invalid_phone": 0, "no_contact": 0}
    assert [m.to for m in mailoutbox] == [["record@example.org"]]
    assert sms_outbox == [] and not Notification.objects.exists()


def test_nothing_to_send_to_is_counted_and_not_retried(doctor, mailoutbox, django_capture_on_commit_callbacks):
    appointment = book(doctor, PatientFactory(user=None, email="", phone=""))
    assert run(django_capture_on_commit_callbacks)["no_contact"] == 1
    appointment.refresh_from_db()
    assert appointment.reminded_for is not None
    assert run(django_capture_on_commit_callbacks)["candidates"] == 0
    assert mailoutbox == []


def test_a_stored_number_that_is_not_e164_gets_no_sms(doctor, patient, mailoutbox, sms_outbox,
                                                      django_capture_on_commit_callbacks):
    Patient.objects.filter(pk=patient.pk).update(phone="0501234567")  # legacy data, before validation
    book(doctor, patient)
    report = run(django_capture_on_commit_callbacks)
    assert report["invalid_phone"] == 1 and report["sms"] == 0 and report["emails"] == 1
    assert sms_outbox == [] and len(mailoutbox) == 1


def test_a_stored_number_with_spaces_is_texted_in_e164(doctor, patient, sms_outbox,
                                                       django_capture_on_commit_callbacks):
    Patient.objects.filter(pk=patient.pk).update(phone="+966 50 123 4567")
    book(doctor, patient)
    run(django_capture_on_commit_callbacks)
    assert [text["to"] for text in sms_outbox] == ["+966501234567"]


def test_nothing_is_sent_when_the_transaction_rolls_back(doctor, patient, mailoutbox, sms_outbox,
                                                         django_capture_on_commit_callbacks):
    book(doctor, patient)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send_appointment_reminders()
    assert mailoutbox == [] and sms_outbox == []  # email and SMS wait for the commit
    for callback in callbacks:  # ... and go once it happens
        callback()
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1


def test_a_pass_is_bounded_and_the_rest_wait(doctor, patient, mailoutbox, django_capture_on_commit_callbacks):
    first = book(doctor, patient, start=time(6, 0))
    book(doctor, PatientFactory(), start=time(7, 0))
    report = run(django_capture_on_commit_callbacks, limit=1)
    assert report["candidates"] == 1 and report["reminded"] == 1
    first.refresh_from_db()
    assert first.reminded_for is not None  # soonest first
    assert run(django_capture_on_commit_callbacks, limit=1)["reminded"] == 1
    assert run(django_capture_on_commit_callbacks, limit=1)["reminded"] == 0


def test_the_task_and_the_command_run_the_same_pass(doctor, patient, capsys, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    book(doctor, patient, day=date(2026, 3, 20), start=time(9, 0))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_appointment_reminders", "--now", "2026-03-19T10:00")
    report = json.loads(capsys.readouterr().out)
    assert report["reminded"] == 1 and len(mailoutbox) == 1
    assert tasks.send_appointment_reminders()["reminded"] == 0  # now (10 March): 20 March is far


def test_the_command_refuses_a_bad_moment():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--now"):
        call_command("send_appointment_reminders", "--now", "tomorrow")
    with pytest.raises(CommandError, match="--limit"):
        call_command("send_appointment_reminders", "--limit", "0")
