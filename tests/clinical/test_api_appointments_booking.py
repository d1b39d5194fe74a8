"""Booking an appointment: who may book for whom, which slots, and what is stored."""
from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.choices import AppointmentStatus
from clinical.models import Appointment
from core.testing import assert_error
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, PatientFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

S = AppointmentStatus
TODAY = timezone.localdate()


def test_patient_books_for_themself_omitting_patient(patient_client):
    slot = TimeSlotFactory()
    response = patient_client.post("/api/appointments/", {"slot": slot.id, "reason": "Cough"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "scheduled" and body["doctor"] == slot.doctor_id
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.patient == patient_client.user.patient_record and appointment.reason == "Cough"
    assert list(appointment.history.values_list("to_status", "to_slot")) == [("scheduled", slot.id)]


def test_patient_cannot_book_for_someone_else(patient_client, other_patient):
    response = patient_client.post("/api/appointments/", {"slot": TimeSlotFactory().id, "patient": other_patient.id})
    assert_error(response, 400, fields=["patient"])
    assert not Appointment.objects.exists()


def test_nurse_books_for_department_patients_only(nurse_client, department):
    mine = PatientFactory(department=department)
    theirs = PatientFactory(department=DepartmentFactory(name="Other"))
    assert nurse_client.post("/api/appointments/", {"slot": TimeSlotFactory().id, "patient": mine.id}) \
        .status_code == 201
    assert_error(nurse_client.post("/api/appointments/", {"slot": TimeSlotFactory().id, "patient": theirs.id}),
                 400, fields=["patient"])
    assert list(Appointment.objects.values_list("patient", flat=True)) == [mine.id]


def test_doctor_books_for_patients_in_scope(doctor_client):
    doctor = doctor_client.user.doctor_profile
    mapped = PatientDoctorMappingFactory(doctor=doctor).patient
    stranger = PatientFactory()
    slot = TimeSlotFactory(doctor=doctor)
    assert doctor_client.post("/api/appointments/", {"slot": slot.id, "patient": mapped.id}).status_code == 201
    assert_error(doctor_client.post("/api/appointments/", {"slot": TimeSlotFactory(doctor=doctor).id,
                                                           "patient": stranger.id}), 400, fields=["patient"])
    assert_error(doctor_client.post("/api/appointments/", {"slot": TimeSlotFactory(doctor=doctor).id}), 400,
                 fields=["patient"])
    assert Appointment.objects.count() == 1


def test_engineer_cannot_book_or_list(engineer_client):
    assert_error(engineer_client.post("/api/appointments/", {"slot": TimeSlotFactory().id,
                                                             "patient": PatientFactory().id}), 403)
    assert_error(engineer_client.get("/api/appointments/"), 403)
    assert not Appointment.objects.exists()


def test_taken_slot_answers_409_slot_taken(admin_client):
    taken = AppointmentFactory()
    response = admin_client.post("/api/appointments/", {"slot": taken.slot_id, "patient": PatientFactory().id})
    assert_error(response, 409, "slot_taken")
    assert Appointment.objects.count() == 1


def test_cancelled_appointment_frees_the_slot_for_booking(admin_client):
    cancelled = AppointmentFactory(status=S.CANCELLED)
    response = admin_client.post("/api/appointments/", {"slot": cancelled.slot_id, "patient": PatientFactory().id})
    assert response.status_code == 201, response.content
    assert Appointment.objects.filter(slot=cancelled.slot).count() == 2


def test_slot_in_the_past_is_refused(admin_client):
    past = TimeSlotFactory(date=TODAY - timedelta(days=1))
    assert_error(admin_client.post("/api/appointments/", {"slot": past.id, "patient": PatientFactory().id}),
                 400, fields=["slot"])
    assert_error(admin_client.post("/api/appointments/", {"slot": 999999, "patient": PatientFactory().id}),
                 400, fields=["slot"])
    assert not Appointment.objects.exists()


def test_doctor_books_a_colleagues_slot_for_their_patient(doctor_client):
    doctor = doctor_client.user.doctor_profile
    mapped = PatientDoctorMappingFactory(doctor=doctor).patient
    colleague_slot = TimeSlotFactory()
    response = doctor_client.post("/api/appointments/", {"slot": colleague_slot.id, "patient": mapped.id})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["doctor"] == colleague_slot.doctor_id and body["patient"] == mapped.id
    stored = Appointment.objects.get(pk=body["id"])
    assert (stored.doctor_id, stored.slot_id, stored.created_by) == (colleague_slot.doctor_id, colleague_slot.id,
                                                                      doctor_client.user)


def test_booking_may_name_the_slots_doctor_but_no_other(admin_client):
    slot, patient = TimeSlotFactory(), PatientFactory()
    other = TimeSlotFactory().doctor
    assert_error(admin_client.post("/api/appointments/", {"slot": slot.id, "patient": patient.id,
                                                          "doctor": other.id}), 400, fields=["doctor"])
    assert not Appointment.objects.exists()
    response = admin_client.post("/api/appointments/", {"slot": slot.id, "patient": patient.id,
                                                        "doctor": slot.doctor_id, "reason": "Check"})
    assert response.status_code == 201, response.content
    assert Appointment.objects.get().doctor_id == slot.doctor_id
