"""The appointment jobs run concurrently (two beats, a beat and an operator): real threads, real
commits, on PostgreSQL and on SQLite. The conditional UPDATE (reminders) and the service's row lock
(no-shows) let exactly one pass act."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine

from clinical.choices import AppointmentStatus
from clinical.jobs import mark_no_shows, send_appointment_reminders
from clinical.models import AppointmentHistory
from core import sms
from notifications.models import Notification
from tests.devices.helpers import run_concurrently
from tests.factories import DoctorProfileFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def test_concurrent_reminder_passes_send_each_reminder_once(mailoutbox, sms_outbox):
    doctor = DoctorProfileFactory()
    patients = [PatientFactory(user=UserFactory(), phone=f"+96650123450{n}") for n in range(3)]
    with time_machine.travel(NOW, tick=False):
        for hour, patient in zip((5, 6, 7), patients, strict=True):
            AppointmentFactory(patient=patient, slot=TimeSlotFactory(
                doctor=doctor, date=date(2026, 3, 11), start_time=time(hour, 0), end_time=time(hour, 30)))
        reports = run_concurrently(THREADS, lambda index: send_appointment_reminders())
    assert sum(report["reminded"] for report in reports) == 3, reports
    assert len(mailoutbox) == 3 and len(sms_outbox) == 3
    assert sorted(text["to"] for text in sms_outbox) == sorted(p.phone for p in patients)
    assert Notification.objects.count() == 3


def test_concurrent_no_show_passes_mark_once():
    doctor = DoctorProfileFactory()
    with time_machine.travel(NOW, tick=False):
        appointments = [AppointmentFactory(slot=TimeSlotFactory(
            doctor=doctor, date=date(2026, 3, 10), start_time=time(hour, 0), end_time=time(hour, 30)))
            for hour in (9, 10)]
    with time_machine.travel(datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False):
        reports = run_concurrently(THREADS, lambda index: mark_no_shows())
    assert sum(report["marked"] for report in reports) == 2
    for appointment in appointments:
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.NO_SHOW
        assert AppointmentHistory.objects.filter(appointment=appointment,
                                                 to_status=AppointmentStatus.NO_SHOW).count() == 1
