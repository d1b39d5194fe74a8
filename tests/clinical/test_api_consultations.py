"""The consultation resource: opening, scope, start and complete, editing, filters and the PDF."""
import io

import pytest
from pypdf import PdfReader

from accounts.choices import Role
from clinical.choices import AppointmentStatus, ConsultationStatus
from clinical.models import Consultation
from core.testing import assert_error
from tests.factories.clinical import (
    AppointmentFactory,
    ConsultationFactory,
    ConsultationNoteFactory,
    PrescriptionFactory,
    TimeSlotFactory,
    VitalSignsFactory,
)

pytestmark = pytest.mark.django_db

S = AppointmentStatus


def _completed(consultation):
    Consultation.objects.filter(pk=consultation.pk).update(status=ConsultationStatus.COMPLETED)
    return consultation


def test_doctor_opens_consultation_for_own_appointment(doctor_client):
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile))
    response = doctor_client.post("/api/consultations/", {"appointment": appointment.id, "chief_complaint": "Cough",
                                                          "follow_up_date": "2030-01-01"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open" and body["patient"] == appointment.patient_id
    assert Consultation.objects.get(pk=body["id"]).chief_complaint == "Cough"


def test_consultation_refusals(doctor_client, own_consultation):
    doctor = doctor_client.user.doctor_profile
    other_doctors = AppointmentFactory()
    cancelled = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor), status=S.CANCELLED)
    assert_error(doctor_client.post("/api/consultations/", {"appointment": other_doctors.id}), 400,
                 fields=["appointment"])
    assert_error(doctor_client.post("/api/consultations/", {"appointment": own_consultation.appointment_id}), 400,
                 fields=["appointment"])
    assert_error(doctor_client.post("/api/consultations/", {"appointment": cancelled.id}), 409, "invalid_transition")
    assert Consultation.objects.count() == 1


@pytest.mark.parametrize("role", [Role.ADMIN, Role.NURSE, Role.PATIENT, Role.ENGINEER])
def test_only_doctors_open_consultations(clients, role):
    appointment = AppointmentFactory()
    assert_error(clients[role].post("/api/consultations/", {"appointment": appointment.id}), 403)
    assert not Consultation.objects.exists()


@pytest.mark.parametrize("role", [Role.NURSE, Role.ENGINEER])
def test_nurses_and_engineers_cannot_list_consultations(clients, role):
    assert_error(clients[role].get("/api/consultations/"), 403)


def test_list_scoping(admin_client, doctor_client, patient_client, own_consultation):
    patients = ConsultationFactory(appointment__patient=patient_client.user.patient_record)
    ids = lambda c: {x["id"] for x in c.get("/api/consultations/").json()["results"]}  # noqa: E731
    assert ids(admin_client) == {own_consultation.id, patients.id}
    assert ids(doctor_client) == {own_consultation.id}
    assert ids(patient_client) == {patients.id}
    assert_error(doctor_client.get(f"/api/consultations/{patients.id}/"), 404)
    assert_error(patient_client.get(f"/api/consultations/{own_consultation.id}/"), 404)


def test_start_and_complete_drive_the_appointment(doctor_client, own_consultation):
    base = f"/api/consultations/{own_consultation.id}"
    started = doctor_client.post(f"{base}/start/")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    own_consultation.appointment.refresh_from_db()
    assert own_consultation.appointment.status == S.IN_PROGRESS
    assert_error(doctor_client.post(f"{base}/start_consultation/"), 409, "invalid_transition")
    completed = doctor_client.post(f"{base}/complete_consultation/")
    assert completed.status_code == 200 and completed.json()["status"] == "completed"
    own_consultation.appointment.refresh_from_db()
    assert own_consultation.appointment.status == S.COMPLETED
    assert_error(doctor_client.post(f"{base}/complete/"), 409, "invalid_transition")


def test_start_needs_a_confirmed_appointment(doctor_client):
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile))
    consultation = ConsultationFactory(appointment=appointment)
    assert_error(doctor_client.post(f"/api/consultations/{consultation.id}/start/"), 409, "invalid_transition")
    consultation.refresh_from_db()
    appointment.refresh_from_db()
    assert consultation.status == "open" and appointment.status == S.SCHEDULED


def test_complete_needs_a_started_consultation(doctor_client, own_consultation):
    assert_error(doctor_client.post(f"/api/consultations/{own_consultation.id}/complete/"), 409)
    own_consultation.refresh_from_db()
    assert own_consultation.status == "open"


@pytest.mark.parametrize("route", ["start/", "complete/"])
@pytest.mark.parametrize("role", [Role.ADMIN, Role.NURSE, Role.PATIENT])
def test_only_the_doctor_starts_and_completes(clients, own_consultation, route, role):
    assert_error(clients[role].post(f"/api/consultations/{own_consultation.id}/{route}"), 403)
    own_consultation.refresh_from_db()
    assert own_consultation.status == "open"


def test_doctor_edits_open_consultation_but_not_completed(doctor_client, own_consultation):
    url = f"/api/consultations/{own_consultation.id}/"
    assert doctor_client.patch(url, {"diagnosis": "Flu"}).json()["diagnosis"] == "Flu"
    _completed(own_consultation)
    assert_error(doctor_client.patch(url, {"diagnosis": "Changed"}), 409, "consultation_completed")
    own_consultation.refresh_from_db()
    assert own_consultation.diagnosis == "Flu"


def test_consultation_pdf(doctor_client, patient_client, own_consultation):
    VitalSignsFactory(consultation=own_consultation, weight=70, height=175)
    PrescriptionFactory(consultation=own_consultation, medication="Paracetamol")
    ConsultationNoteFactory(consultation=own_consultation, content="Drink <water>")
    Consultation.objects.filter(pk=own_consultation.pk).update(diagnosis="Common cold")
    response = doctor_client.get(f"/api/consultations/{own_consultation.id}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    patient = own_consultation.appointment.patient
    for expected in (patient.medical_record_number, "Common cold", "Paracetamol", "Drink <water>", "Heart rate"):
        assert expected in text
    assert_error(patient_client.get(f"/api/consultations/{own_consultation.id}/pdf/"), 404)


def test_consultation_list_query_count_is_flat(admin_client, django_assert_max_num_queries):
    ConsultationFactory.create_batch(5)
    with django_assert_max_num_queries(4):  # + the one INSERT of the read entries (audit.reads)
        admin_client.get("/api/consultations/")
    ConsultationFactory.create_batch(45)
    with django_assert_max_num_queries(4):  # + the one INSERT of the read entries (audit.reads)
        response = admin_client.get("/api/consultations/?page_size=50")
    assert len(response.json()["results"]) == 50


def test_consultation_filters(admin_client):
    first, _other = ConsultationFactory.create_batch(2)
    patient, doctor = first.appointment.patient_id, first.appointment.doctor_id
    for query in (f"patient={patient}", f"doctor={doctor}", f"appointment={first.appointment_id}"):
        response = admin_client.get(f"/api/consultations/?{query}")
        assert [row["id"] for row in response.json()["results"]] == [first.id], query
    assert_error(admin_client.get("/api/consultations/?patient=abc"), 400, fields=["patient"])


def test_consultation_filters_are_no_existence_oracle(doctor_client):
    """Someone else's appointment or patient is refused like a missing one (400), not answered with []."""
    theirs = ConsultationFactory()
    for name, value in (("appointment", theirs.appointment_id), ("patient", theirs.appointment.patient_id)):
        outside = doctor_client.get(f"/api/consultations/?{name}={value}")
        missing = doctor_client.get(f"/api/consultations/?{name}=999999")
        assert_error(outside, 400, fields=[name])
        assert outside.json() == missing.json()


def test_department_nurse_reads_the_pdf_and_the_patients_history(nurse_client, own_consultation, client_for):
    patient = own_consultation.appointment.patient
    response = nurse_client.get(f"/api/consultations/{own_consultation.id}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    history = nurse_client.get(f"/api/patients/{patient.id}/consultations/")
    assert [row["id"] for row in history.json()["results"]] == [own_consultation.id]
    outsider = client_for(Role.NURSE)
    assert_error(outsider.get(f"/api/consultations/{own_consultation.id}/pdf/"), 404)
    assert_error(outsider.get(f"/api/patients/{patient.id}/consultations/"), 404)


def test_engineer_never_reads_consultation_records(engineer_client, own_consultation):
    patient = own_consultation.appointment.patient
    assert_error(engineer_client.get(f"/api/consultations/{own_consultation.id}/pdf/"), 403)
    assert_error(engineer_client.get(f"/api/patients/{patient.id}/consultations/"), 403)
