"""Appointment transitions: the role matrix, the status machine, cancelling and rescheduling."""
from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from clinical.choices import AppointmentStatus
from clinical.models import Appointment, AppointmentHistory
from core.testing import assert_error
from tests.factories import PatientFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

S = AppointmentStatus
TODAY = timezone.localdate()


ROUTE_ROLES = {
    "confirm": {Role.ADMIN, Role.DOCTOR},
    "cancel": {Role.ADMIN, Role.DOCTOR, Role.PATIENT},
    "no-show": {Role.ADMIN, Role.DOCTOR},
    "complete": {Role.DOCTOR},
    "reschedule": {Role.ADMIN, Role.DOCTOR, Role.PATIENT},
}


@pytest.mark.parametrize("route", list(ROUTE_ROLES))
@pytest.mark.parametrize("role", list(Role))
def test_transition_role_matrix(clients, department, route, role):
    """Allowed roles get past the permission check (own appointment); the others get 403."""
    doctor = clients[Role.DOCTOR].user.doctor_profile
    patient = clients[Role.PATIENT].user.patient_record
    patient.department = department
    patient.save()
    start = S.IN_PROGRESS if route == "complete" else S.SCHEDULED
    # A no-show needs a slot that has started (yesterday's); the other routes a future one.
    day = TODAY - timedelta(days=1) if route == "no-show" else TODAY + timedelta(days=30)
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=day), patient=patient, status=start)
    body = {"slot": TimeSlotFactory(doctor=doctor).id} if route == "reschedule" else {}
    response = clients[role].post(f"/api/appointments/{appointment.id}/{route}/", body)
    if role in ROUTE_ROLES[route]:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, 403, "permission_denied")
        appointment.refresh_from_db()
        assert appointment.status == start


def test_full_lifecycle_is_recorded_in_history(doctor_client):
    doctor = doctor_client.user.doctor_profile
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor))
    consultation = ConsultationFactory(appointment=appointment)
    base = f"/api/appointments/{appointment.id}"
    assert doctor_client.post(f"{base}/confirm/").json()["status"] == "confirmed"
    assert doctor_client.post(f"/api/consultations/{consultation.id}/start/").status_code == 200
    assert doctor_client.post(f"{base}/complete/").json()["status"] == "completed"
    consultation.refresh_from_db()
    assert consultation.status == "completed" and consultation.completed_at is not None
    history = doctor_client.get(f"{base}/history/").json()["results"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "scheduled"), ("scheduled", "confirmed"), ("confirmed", "in_progress"), ("in_progress", "completed")]
    assert history[1]["changed_by"] == doctor_client.user.id


@pytest.mark.parametrize("start, route", [
    (S.CONFIRMED, "confirm"), (S.COMPLETED, "confirm"), (S.CANCELLED, "cancel"), (S.NO_SHOW, "cancel"),
    (S.COMPLETED, "cancel"), (S.IN_PROGRESS, "no-show"), (S.SCHEDULED, "complete"), (S.CONFIRMED, "complete"),
    (S.CANCELLED, "no-show"),
])
def test_illegal_transitions_are_409_and_change_nothing(doctor_client, start, route):
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile), status=start)
    assert_error(doctor_client.post(f"/api/appointments/{appointment.id}/{route}/"), 409, "invalid_transition")
    appointment.refresh_from_db()
    assert appointment.status == start and appointment.history.count() == 1


def test_cancel_records_reason_and_frees_slot(patient_client):
    appointment = AppointmentFactory(patient=patient_client.user.patient_record)
    response = patient_client.post(f"/api/appointments/{appointment.id}/cancel/", {"reason": "Travelling"})
    assert response.status_code == 200 and response.json()["cancel_reason"] == "Travelling"
    assert AppointmentHistory.objects.filter(appointment=appointment, to_status="cancelled",
                                             note="Travelling").exists()
    free = patient_client.get(f"/api/time-slots/?available=true&doctor={appointment.doctor_id}").json()["results"]
    assert [s["id"] for s in free] == [appointment.slot_id]


def test_reschedule_moves_and_frees_old_slot(patient_client, admin_client):
    appointment = AppointmentFactory(patient=patient_client.user.patient_record, status=S.CONFIRMED)
    old_slot = appointment.slot
    new_slot = TimeSlotFactory(doctor=appointment.doctor)
    response = patient_client.post(f"/api/appointments/{appointment.id}/reschedule/", {"slot": new_slot.id})
    assert response.status_code == 200, response.content
    assert response.json()["slot"] == new_slot.id and response.json()["status"] == "scheduled"
    last = appointment.history.last()
    assert (last.from_slot_id, last.to_slot_id, last.from_status) == (old_slot.id, new_slot.id, "confirmed")
    # The old slot is free again: someone else can book it.
    other = admin_client.post("/api/appointments/", {"slot": old_slot.id, "patient": PatientFactory().id})
    assert other.status_code == 201, other.content


def test_reschedule_refusals(doctor_client):
    doctor = doctor_client.user.doctor_profile
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor))
    taken = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor)).slot
    url = f"/api/appointments/{appointment.id}/reschedule/"
    assert_error(doctor_client.post(url, {"slot": TimeSlotFactory().id}), 400, fields=["slot"])
    assert_error(doctor_client.post(url, {"slot": appointment.slot_id}), 400, fields=["slot"])
    assert_error(doctor_client.post(url, {"slot": TimeSlotFactory(doctor=doctor, date=TODAY - timedelta(days=2)).id}),
                 400, fields=["slot"])
    assert_error(doctor_client.post(url, {}), 400, fields=["slot"])
    assert_error(doctor_client.post(url, {"slot": taken.id}), 409, "slot_taken")
    original = appointment.slot_id
    appointment.refresh_from_db()
    assert appointment.slot_id == original and appointment.history.count() == 1
    Appointment.objects.filter(pk=appointment.pk).update(status=S.COMPLETED)
    assert_error(doctor_client.post(url, {"slot": TimeSlotFactory(doctor=doctor).id}), 409, "invalid_transition")


# --- No-show ------------------------------------------------------------------------------------

def test_no_show_before_the_slot_starts_is_409_and_changes_nothing(doctor_client):
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile,
                                                          date=TODAY + timedelta(days=3)))
    response = doctor_client.post(f"/api/appointments/{appointment.id}/no-show/")
    assert_error(response, 409, "not_started")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED and appointment.history.count() == 1


def test_no_show_once_the_slot_has_started(doctor_client):
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile,
                                                          date=TODAY - timedelta(days=1), start_time=time(9, 0)))
    response = doctor_client.post(f"/api/appointments/{appointment.id}/no-show/")
    assert response.status_code == 200, response.content
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW
    assert appointment.history.last().to_status == AppointmentStatus.NO_SHOW
