import io

import pytest
from pypdf import PdfReader

from accounts.choices import Role
from clinical.choices import AppointmentStatus, ConsultationStatus
from clinical.models import Consultation, ConsultationNote, Prescription, VitalSigns
from core.testing import assert_error
from tests.factories import PatientFactory
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


@pytest.fixture
def own_consultation(doctor_client, department):
    """A confirmed appointment of the doctor's with a patient of the nurse's department, and its consultation."""
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile),
                                     patient=PatientFactory(department=department), status=S.CONFIRMED)
    return ConsultationFactory(appointment=appointment)


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


def test_vital_signs_recorded_by_doctor_and_department_nurse(doctor_client, nurse_client, own_consultation):
    url = f"/api/consultations/{own_consultation.id}/vital-signs/"
    response = doctor_client.post(url, {"weight": "80", "height": "180", "heart_rate": 72})
    assert response.status_code == 201, response.content
    assert response.json()["bmi"] == "24.7"
    by_nurse = nurse_client.post(url, {"systolic_bp": 120, "diastolic_bp": 80})
    assert by_nurse.status_code == 201 and by_nurse.json()["bmi"] is None
    assert VitalSigns.objects.get(pk=by_nurse.json()["id"]).recorded_by == nurse_client.user
    assert len(nurse_client.get(url).json()["results"]) == 2


@pytest.mark.parametrize("payload, field", [
    ({}, "non_field_errors"), ({"systolic_bp": None}, "non_field_errors"),
    ({"systolic_bp": 39}, "systolic_bp"), ({"systolic_bp": 301}, "systolic_bp"),
    ({"diastolic_bp": 19}, "diastolic_bp"), ({"systolic_bp": 100, "diastolic_bp": 100}, "diastolic_bp"),
    ({"heart_rate": 19}, "heart_rate"), ({"heart_rate": 301}, "heart_rate"),
    ({"temperature": "24.9"}, "temperature"), ({"temperature": "45.1"}, "temperature"),
    ({"respiratory_rate": 3}, "respiratory_rate"), ({"respiratory_rate": 81}, "respiratory_rate"),
    ({"spo2": 101}, "spo2"), ({"spo2": -1}, "spo2"),
    ({"weight": "0.1"}, "weight"), ({"weight": "501"}, "weight"),
    ({"height": "19"}, "height"), ({"height": "281"}, "height"),
])
def test_impossible_vital_signs_are_refused(doctor_client, own_consultation, payload, field):
    response = doctor_client.post(f"/api/consultations/{own_consultation.id}/vital-signs/", payload)
    assert_error(response, 400, "validation_error", [field])
    assert not VitalSigns.objects.exists()


def test_nurse_of_another_department_cannot_reach_vitals(client_for, own_consultation):
    outsider = client_for(Role.NURSE)
    url = f"/api/consultations/{own_consultation.id}/vital-signs/"
    assert_error(outsider.post(url, {"heart_rate": 70}), 404)
    assert_error(outsider.get(url), 404)
    assert not VitalSigns.objects.exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PATIENT, Role.ENGINEER])
def test_other_roles_cannot_record_vitals(clients, own_consultation, role):
    assert_error(clients[role].post(f"/api/consultations/{own_consultation.id}/vital-signs/", {"heart_rate": 70}),
                 403)
    assert not VitalSigns.objects.exists()


def test_prescriptions_and_notes(doctor_client, own_consultation):
    base = f"/api/consultations/{own_consultation.id}"
    prescription = doctor_client.post(f"{base}/prescriptions/", {
        "medication": "Ibuprofen", "dosage": "400 mg", "route": "oral", "frequency": "2x daily",
        "duration_days": 5, "quantity": 10, "refills": 1, "instructions": "After meals"})
    assert prescription.status_code == 201, prescription.content
    assert Prescription.objects.get().prescribed_by == doctor_client.user
    note = doctor_client.post(f"{base}/notes/", {"note_type": "plan", "content": "Rest", "author": 999})
    assert note.status_code == 201, note.content
    assert note.json()["author"] == doctor_client.user.id
    assert_error(doctor_client.post(f"{base}/notes/", {"note_type": "gossip", "content": "x"}), 400,
                 fields=["note_type"])
    assert_error(doctor_client.post(f"{base}/prescriptions/", {"medication": "X"}), 400, fields=["dosage"])
    assert ConsultationNote.objects.count() == 1 and Prescription.objects.count() == 1
    assert len(doctor_client.get(f"{base}/prescriptions/").json()["results"]) == 1
    assert len(doctor_client.get(f"{base}/notes/").json()["results"]) == 1


@pytest.mark.parametrize("payload, field", [
    ({"duration_days": 0}, "duration_days"), ({"duration_days": 3651}, "duration_days"),
    ({"quantity": 0}, "quantity"), ({"quantity": 100_001}, "quantity"), ({"quantity": 10**20}, "quantity"),
    ({"refills": 13}, "refills"), ({"refills": -1}, "refills"), ({"quantity": "many"}, "quantity"),
])
def test_bad_prescriptions_are_refused(doctor_client, own_consultation, payload, field):
    body = {"medication": "Ibuprofen", "dosage": "400 mg", "frequency": "2x daily", **payload}
    response = doctor_client.post(f"/api/consultations/{own_consultation.id}/prescriptions/", body, format="json")
    assert_error(response, 400, "validation_error", [field])
    assert not Prescription.objects.exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.NURSE, Role.PATIENT])
def test_only_doctors_prescribe_and_write_notes(clients, own_consultation, role):
    base = f"/api/consultations/{own_consultation.id}"
    assert_error(clients[role].post(f"{base}/prescriptions/", {"medication": "X", "dosage": "1", "frequency": "1"}),
                 403)
    assert_error(clients[role].post(f"{base}/notes/", {"content": "x"}), 403)
    assert not Prescription.objects.exists() and not ConsultationNote.objects.exists()


def test_patient_reads_own_consultation_records(patient_client):
    consultation = ConsultationFactory(appointment__patient=patient_client.user.patient_record)
    PrescriptionFactory(consultation=consultation)
    ConsultationNoteFactory(consultation=consultation)
    VitalSignsFactory(consultation=consultation)
    base = f"/api/consultations/{consultation.id}"
    for path in ("prescriptions", "notes", "vital-signs"):
        assert len(patient_client.get(f"{base}/{path}/").json()["results"]) == 1


@pytest.mark.parametrize("path, payload", [
    ("vital-signs", {"heart_rate": 70}),
    ("prescriptions", {"medication": "X", "dosage": "1", "frequency": "1"}),
    ("notes", {"content": "late"}),
])
def test_completed_consultation_refuses_additions(doctor_client, own_consultation, path, payload):
    _completed(own_consultation)
    response = doctor_client.post(f"/api/consultations/{own_consultation.id}/{path}/", payload)
    assert_error(response, 409, "consultation_completed")
    assert not (VitalSigns.objects.exists() or Prescription.objects.exists() or ConsultationNote.objects.exists())


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
    with django_assert_max_num_queries(3):
        admin_client.get("/api/consultations/")
    ConsultationFactory.create_batch(45)
    with django_assert_max_num_queries(3):
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


def test_nested_lists_honour_ordering_and_search(doctor_client, own_consultation):
    base = f"/api/consultations/{own_consultation.id}"
    first = PrescriptionFactory(consultation=own_consultation, medication="Zinc")
    second = PrescriptionFactory(consultation=own_consultation, medication="Aspirin")
    ids = lambda url: [row["id"] for row in doctor_client.get(url).json()["results"]]  # noqa: E731
    assert ids(f"{base}/prescriptions/") == [first.id, second.id]
    assert ids(f"{base}/prescriptions/?ordering=medication") == [second.id, first.id]
    assert ids(f"{base}/prescriptions/?ordering=-id") == [second.id, first.id]
    assert ids(f"{base}/prescriptions/?search=zin") == [first.id]
    note = ConsultationNoteFactory(consultation=own_consultation, content="Needs rest")
    ConsultationNoteFactory(consultation=own_consultation, content="Stable")
    assert ids(f"{base}/notes/?search=rest") == [note.id]
    patient = own_consultation.appointment.patient
    assert ids(f"/api/patients/{patient.id}/consultations/?search=nothing-like-this") == []
    # A list's filters never hide the object of a detail route.
    assert doctor_client.get(f"{base}/?status=completed&search=nothing").status_code == 200
