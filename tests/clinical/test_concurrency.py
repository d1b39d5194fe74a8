"""Races against a real PostgreSQL: the database constraints decide, exactly one request wins."""

import threading
from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from clinical.choices import AppointmentStatus, ConsultationStatus
from clinical.models import Appointment, TimeSlot
from core.testing import authenticated_client
from tests.factories import DoctorProfileFactory, PatientFactory, UserFactory
from tests.factories.clinical import ConsultationFactory, TimeSlotFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"),
]

THREADS = 20


def _race(requests):
    """Run each callable in its own thread, all released at once; returns their responses."""
    barrier = threading.Barrier(len(requests))
    responses = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait()
            responses[index] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


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
    assert Appointment.objects.filter(slot=slot).count() == 1


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
    assert TimeSlot.objects.filter(doctor=doctor).count() == 2


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
