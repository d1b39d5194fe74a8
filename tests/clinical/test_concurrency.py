"""Races with real threads, on PostgreSQL and on SQLite (a file test database, IMMEDIATE transactions):
the database constraints and the services' locks decide, exactly one request wins and none answers 5xx.
On SQLite select_for_update() is a no-op; each service's transaction takes the one write lock at BEGIN
instead, so its check-then-write (free slot, no overlap) runs alone."""

import itertools
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from clinical.choices import AppointmentStatus, ConsultationStatus
from clinical.models import Appointment, Consultation, TimeSlot
from core.testing import authenticated_client
from tests.devices.helpers import run_concurrently
from tests.factories import DoctorProfileFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def _race(requests):
    """Run each callable in its own thread, all released at once; returns their responses."""
    return run_concurrently(len(requests), lambda index: requests[index]())


def _no_overlap(doctor):
    """No two stored slots of the doctor overlap (what the exclusion constraint holds on PostgreSQL)."""
    slots = list(TimeSlot.objects.filter(doctor=doctor).order_by("date", "start_time"))
    clashes = [(a.id, b.id) for a, b in itertools.pairwise(slots)
               if a.date == b.date and b.start_time < a.end_time]
    assert clashes == [], clashes


def test_twenty_concurrent_bookings_of_one_slot_have_one_winner():
    slot = TimeSlotFactory()
    admin = authenticated_client(UserFactory(role=Role.ADMIN))
    patients = PatientFactory.create_batch(THREADS)
    responses = _race([
        (lambda p=p: admin.post("/api/appointments/", {"slot": slot.id, "patient": p.id}, format="json"))
        for p in patients
    ])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * (THREADS - 1), codes
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_taken"}
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert list(Appointment.objects.filter(slot=slot).values_list("id", "patient_id")) == [
        (winner["id"], winner["patient"])]


def test_twenty_concurrent_bookings_of_different_slots_all_succeed():
    doctor = DoctorProfileFactory()
    slots = TimeSlotFactory.create_batch(THREADS, doctor=doctor)
    patients = PatientFactory.create_batch(THREADS)
    admin = authenticated_client(UserFactory(role=Role.ADMIN))
    responses = _race([
        (lambda s=s, p=p: admin.post("/api/appointments/", {"slot": s.id, "patient": p.id}, format="json"))
        for s, p in zip(slots, patients, strict=True)
    ])
    assert [r.status_code for r in responses] == [201] * THREADS, [r.content for r in responses]
    stored = set(Appointment.objects.filter(status=AppointmentStatus.SCHEDULED).values_list("slot_id", "patient_id"))
    assert stored == {(s.id, p.id) for s, p in zip(slots, patients, strict=True)}


def test_twenty_concurrent_reschedules_into_one_slot_have_one_winner():
    doctor = DoctorProfileFactory()
    appointments = [AppointmentFactory(slot=TimeSlotFactory(doctor=doctor)) for _ in range(THREADS)]
    target = TimeSlotFactory(doctor=doctor)
    admin = authenticated_client(UserFactory(role=Role.ADMIN))
    responses = _race([
        (lambda a=a: admin.post(f"/api/appointments/{a.id}/reschedule/", {"slot": target.id}, format="json"))
        for a in appointments
    ])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (THREADS - 1), codes
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"slot_taken"}
    winner = next(a for a, r in zip(appointments, responses, strict=True) if r.status_code == 200)
    assert list(Appointment.objects.filter(slot=target).values_list("id", flat=True)) == [winner.id]
    for appointment in appointments:  # the losers keep their own slot
        if appointment is not winner:
            assert Appointment.objects.get(pk=appointment.pk).slot_id == appointment.slot_id


def test_concurrent_overlapping_slots_of_one_doctor_have_one_winner():
    doctor = DoctorProfileFactory()
    client = authenticated_client(doctor.user)
    day = TimeSlotFactory(doctor=doctor).date.isoformat()
    starts = [time(10, minute) for minute in range(0, THREADS)]
    responses = _race([
        (lambda s=s: client.post("/api/time-slots/", {"date": day, "start_time": s.isoformat(),
                                                      "end_time": "11:00"}, format="json"))
        for s in starts
    ])
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [400] * (THREADS - 1), codes
    assert all(list(r.json()["errors"]) == ["start_time"] for r in responses if r.status_code == 400)
    assert TimeSlot.objects.filter(doctor=doctor).count() == 2
    _no_overlap(doctor)


def test_concurrent_moves_of_free_slots_onto_one_time_have_one_winner():
    doctor = DoctorProfileFactory()
    client = authenticated_client(doctor.user)
    day = TimeSlotFactory(doctor=doctor, start_time=time(8, 0), end_time=time(8, 30)).date
    slots = [TimeSlotFactory(doctor=doctor, date=day, start_time=time(12, minute), end_time=time(12, minute + 1))
             for minute in range(THREADS)]
    responses = _race([
        (lambda s=s: client.patch(f"/api/time-slots/{s.id}/", {"start_time": "10:00", "end_time": "10:30"},
                                  format="json"))
        for s in slots
    ])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [400] * (THREADS - 1), codes
    assert TimeSlot.objects.filter(doctor=doctor, start_time=time(10, 0)).count() == 1
    _no_overlap(doctor)


def test_concurrent_bulk_runs_and_single_slots_never_overlap():
    doctor = DoctorProfileFactory()
    client = authenticated_client(doctor.user)
    day = TimeSlotFactory(doctor=doctor).date.isoformat()
    bulk = {"date_from": day, "date_to": day, "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "13:00",
            "end_time": "15:00", "slot_minutes": 20}
    singles = [{"date": day, "start_time": f"13:{minute:02d}", "end_time": f"14:{minute:02d}"}
               for minute in range(0, 50, 5)]
    responses = _race(
        [lambda: client.post("/api/time-slots/bulk/", bulk, format="json")] * 4
        + [(lambda body=body: client.post("/api/time-slots/", body, format="json")) for body in singles]
    )
    assert all(r.status_code in (201, 400) for r in responses), [(r.status_code, r.content) for r in responses]
    _no_overlap(doctor)


def test_completing_a_visit_and_its_consultation_at_once_never_fails():
    """appointment complete and consultation complete race for one visit: both answer 200 or 409 (never a
    deadlock or "database is locked" 500) and the visit ends completed once, in both records."""
    consultations = []
    for _ in range(5):
        consultation = ConsultationFactory(status=ConsultationStatus.IN_PROGRESS)
        Appointment.objects.filter(pk=consultation.appointment_id).update(status=AppointmentStatus.IN_PROGRESS)
        consultations.append(consultation)
    requests = []
    for consultation in consultations:
        client = authenticated_client(consultation.appointment.doctor.user)
        requests += [
            lambda c=consultation, cl=client: cl.post(f"/api/appointments/{c.appointment_id}/complete/"),
            lambda c=consultation, cl=client: cl.post(f"/api/consultations/{c.id}/complete/"),
        ]
    responses = _race(requests)
    assert all(r.status_code in (200, 409) for r in responses), [(r.status_code, r.content) for r in responses]
    for consultation in consultations:
        assert Consultation.objects.get(pk=consultation.pk).status == ConsultationStatus.COMPLETED
        assert Appointment.objects.get(pk=consultation.appointment_id).status == AppointmentStatus.COMPLETED
        assert Appointment.objects.get(pk=consultation.appointment_id).history.filter(
            to_status=AppointmentStatus.COMPLETED).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks (and so lock order) are PostgreSQL only")
@pytest.mark.parametrize("route", ["start", "complete"])
def test_consultation_transitions_lock_the_appointment_first(route):
    """appointment_complete locks appointment then consultation; the consultation routes must take
    the same order, or a concurrent pair can deadlock (a 500)."""
    consultation = ConsultationFactory()
    if route == "complete":
        consultation.status = ConsultationStatus.IN_PROGRESS
        consultation.save()
        Appointment.objects.filter(pk=consultation.appointment_id).update(status=AppointmentStatus.IN_PROGRESS)
    client = authenticated_client(consultation.appointment.doctor.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/api/consultations/{consultation.id}/{route}/")
    assert response.status_code == 200, response.content
    locked = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert 'FROM "clinical_appointment"' in locked[0], locked
