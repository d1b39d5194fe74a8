"""What is recorded in a consultation: vital signs, prescriptions and notes, and their nested lists."""
import pytest

from accounts.choices import Role
from clinical.choices import ConsultationStatus
from clinical.models import Consultation, ConsultationNote, Prescription, VitalSigns
from core.testing import assert_error
from tests.factories.clinical import (
    ConsultationFactory,
    ConsultationNoteFactory,
    PrescriptionFactory,
    VitalSignsFactory,
)

pytestmark = pytest.mark.django_db


def _completed(consultation):
    Consultation.objects.filter(pk=consultation.pk).update(status=ConsultationStatus.COMPLETED)
    return consultation


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
