"""No-shows (clinical.jobs.mark_no_shows): an appointment never started whose slot ended more than
30 minutes ago becomes no_show through the one no-show service, with a history entry by the system."""

import json
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.core.management import call_command

from clinical import tasks
from clinical.choices import AppointmentStatus
from clinical.jobs import mark_no_shows
from clinical.models import Appointment, AppointmentHistory
from tests.factories import DoctorProfileFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def at(hour, minute, second=0, day=DAY):
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def doctor():
    return DoctorProfileFactory()


def booked(doctor, status=AppointmentStatus.SCHEDULED, start=time(9, 0), end=time(9, 30), day=DAY):
    """An appointment in a slot of DAY, booked (as the factory does) before the slot."""
    with time_machine.travel(at(7, 0, day=day), tick=False):
        return AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=day, start_time=start, end_time=end),
                                  status=status)


def run(moment, **kwargs):
    with time_machine.travel(moment, tick=False):
        return mark_no_shows(**kwargs)


def test_not_at_29_minutes_after_the_end_and_marked_after_30(doctor):
    appointment = booked(doctor)  # 09:00-09:30
    assert run(at(9, 59)) == {"candidates": 0, "marked": 0, "skipped": 0}
    assert run(at(10, 0)) == {"candidates": 0, "marked": 0, "skipped": 0}  # 30 minutes exactly: not over
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert run(at(10, 1)) == {"candidates": 1, "marked": 1, "skipped": 0}
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW


def test_the_history_entry_is_by_the_system_and_says_why(doctor):
    appointment = booked(doctor, status=AppointmentStatus.CONFIRMED)
    run(at(10, 1))
    entry = AppointmentHistory.objects.filter(appointment=appointment).latest("id")
    assert entry.changed_by is None
    assert (entry.from_status, entry.to_status) == (AppointmentStatus.CONFIRMED, AppointmentStatus.NO_SHOW)
    assert entry.note == ("Marked no-show automatically: the slot ended at 2026-03-10 09:30 and the visit "
                          "was never started.")
    assert entry.to_slot_id == appointment.slot_id


def test_running_twice_marks_once(doctor):
    appointment = booked(doctor)
    assert run(at(11, 0))["marked"] == 1
    assert run(at(11, 0)) == {"candidates": 0, "marked": 0, "skipped": 0}
    assert AppointmentHistory.objects.filter(appointment=appointment, to_status=AppointmentStatus.NO_SHOW).count() == 1


@pytest.mark.parametrize("status", [AppointmentStatus.IN_PROGRESS, AppointmentStatus.COMPLETED,
                                    AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_started_finished_and_cancelled_appointments_are_left_alone(doctor, status):
    appointment = booked(doctor, status=status)
    history = list(AppointmentHistory.objects.filter(appointment=appointment).values_list("id", flat=True))
    assert run(at(18, 0))["candidates"] == 0
    appointment.refresh_from_db()
    assert appointment.status == status
    assert list(AppointmentHistory.objects.filter(appointment=appointment).values_list("id", flat=True)) == history


def test_earlier_days_count_and_later_slots_wait(doctor):
    yesterday = booked(doctor, day=date(2026, 3, 9), start=time(16, 0), end=time(16, 30))
    later_today = booked(doctor, start=time(11, 0), end=time(11, 30))
    assert run(at(8, 0))["marked"] == 1
    yesterday.refresh_from_db()
    later_today.refresh_from_db()
    assert yesterday.status == AppointmentStatus.NO_SHOW and later_today.status == AppointmentStatus.SCHEDULED


def test_a_pass_is_bounded_oldest_first(doctor):
    first = booked(doctor, start=time(8, 0), end=time(8, 30))
    second = booked(doctor, start=time(9, 0), end=time(9, 30))
    assert run(at(12, 0), limit=1)["marked"] == 1
    assert Appointment.objects.get(pk=first.pk).status == AppointmentStatus.NO_SHOW
    assert Appointment.objects.get(pk=second.pk).status == AppointmentStatus.SCHEDULED
    assert run(at(12, 0), limit=1)["marked"] == 1
    assert Appointment.objects.get(pk=second.pk).status == AppointmentStatus.NO_SHOW


def test_the_task_and_the_command_run_the_same_pass(doctor, capsys):
    appointment = booked(doctor)
    with time_machine.travel(at(9, 15), tick=False):
        call_command("mark_no_shows", "--now", "2026-03-10T09:45:00+00:00")  # 15 minutes after the end
        assert json.loads(capsys.readouterr().out) == {"candidates": 0, "marked": 0, "skipped": 0}
        call_command("mark_no_shows", "--now", "2026-03-10T10:05")
        assert json.loads(capsys.readouterr().out) == {"candidates": 1, "marked": 1, "skipped": 0}
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.NO_SHOW
    other = booked(doctor, start=time(10, 0), end=time(10, 30))
    with time_machine.travel(at(12, 0), tick=False):
        assert tasks.mark_no_shows() == {"candidates": 1, "marked": 1, "skipped": 0}
    assert Appointment.objects.get(pk=other.pk).status == AppointmentStatus.NO_SHOW


def test_one_started_meanwhile_is_skipped_not_marked(doctor, monkeypatch):
    """Read as a candidate, then started by its doctor before the job's lock: the service's status
    check refuses the transition and the job counts it as skipped."""
    from clinical import jobs

    appointment = booked(doctor, status=AppointmentStatus.CONFIRMED)
    real = jobs.appointment_no_show

    def start_first(**kwargs):
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.IN_PROGRESS)
        return real(**kwargs)

    monkeypatch.setattr(jobs, "appointment_no_show", start_first)
    assert run(at(11, 0)) == {"candidates": 1, "marked": 0, "skipped": 1}
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.IN_PROGRESS
