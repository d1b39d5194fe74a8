"""Who may write which row: the clinical QuerySets' editable_by, through the API and on their own.

role_rules answer 403 to a role that may never make a write; editable_by narrows the rows a permitted
role may write, so a row outside it answers 404 exactly like a missing one and nothing changes.
"""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from clinical.models import Appointment, Consultation, Patient, PatientDocument
from core.testing import assert_error
from tests.factories import PatientFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(client, patient):
    response = client.post(f"/api/patients/{patient.id}/documents/",
                           {"file": SimpleUploadedFile("r.pdf", PDF), "kind": "lab_report", "title": "Blood"},
                           format="multipart")
    assert response.status_code == 201, response.content
    return PatientDocument.objects.get(pk=response.json()["id"])


def _archived(document):
    document.refresh_from_db()
    return document.is_archived


# --- Documents: delete by the uploader or an admin ---------------------------------------------

@pytest.fixture
def own_record(patient_client, department):
    patient = patient_client.user.patient_record
    patient.department = department
    patient.save()
    return patient


def test_patient_archives_the_document_they_uploaded(patient_client, own_record):
    document = _upload(patient_client, own_record)
    assert patient_client.delete(f"/api/patients/{own_record.id}/documents/{document.id}/").status_code == 204
    assert _archived(document)


def test_patient_cannot_archive_a_document_staff_uploaded_to_their_record(patient_client, nurse_client, own_record):
    document = _upload(nurse_client, own_record)
    url = f"/api/patients/{own_record.id}/documents/{document.id}/"
    assert patient_client.get(url).status_code == 200  # they read it
    assert_error(patient_client.delete(url), 404)
    assert not _archived(document)


def test_admin_archives_any_document(admin_client, nurse_client, own_record):
    document = _upload(nurse_client, own_record)
    assert admin_client.delete(f"/api/patients/{own_record.id}/documents/{document.id}/").status_code == 204
    assert _archived(document)


def test_doctor_cannot_archive_a_colleagues_upload(doctor_client, nurse_client, own_record):
    """The doctor sees the patient (an appointment) and reads the nurse's document, but it is not theirs."""
    AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile), patient=own_record)
    document = _upload(nurse_client, own_record)
    url = f"/api/patients/{own_record.id}/documents/{document.id}/"
    assert doctor_client.get(url).status_code == 200
    assert_error(doctor_client.delete(url), 404)
    assert not _archived(document)


def test_document_of_another_patient_is_404_even_for_its_uploader(nurse_client, own_record, department):
    document = _upload(nurse_client, own_record)
    other = PatientFactory(department=department)
    assert_error(nurse_client.delete(f"/api/patients/{other.id}/documents/{document.id}/"), 404)
    assert not _archived(document)


def test_engineer_and_anonymous_never_archive_documents(engineer_client, api_client, nurse_client, own_record):
    document = _upload(nurse_client, own_record)
    url = f"/api/patients/{own_record.id}/documents/{document.id}/"
    assert_error(engineer_client.delete(url), 403)
    assert_error(api_client.delete(url), 401)
    assert not _archived(document)


def test_document_editable_by_is_the_uploaders_own_or_every_one_for_an_admin(nurse_client, client_for, own_record):
    document = _upload(nurse_client, own_record)
    PatientDocument.objects.filter(pk=document.pk).update(uploaded_by=None)  # the uploader's account was erased
    editable = PatientDocument.objects.editable_by
    assert list(editable(client_for(Role.ADMIN).user)) == [document]
    assert not editable(nurse_client.user).exists()  # a document without an uploader is no one's but the admins'


# --- Appointments and consultations: who changes them ------------------------------------------

def test_appointment_editable_by_leaves_out_nurses_who_only_read(clients, department):
    patient = clients[Role.PATIENT].user.patient_record
    patient.department = department
    patient.save()
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=clients[Role.DOCTOR].user.doctor_profile),
                                     patient=patient)
    for role in (Role.ADMIN, Role.DOCTOR, Role.PATIENT, Role.NURSE):
        user = clients[role].user
        assert list(Appointment.objects.visible_to(user)) == [appointment], role
        assert list(Appointment.objects.editable_by(user)) == ([] if role == Role.NURSE else [appointment]), role


@pytest.mark.parametrize("route", ["confirm/", "cancel/", "no-show/"])
def test_another_doctors_appointment_is_404_on_every_transition(doctor_client, route):
    appointment = AppointmentFactory()
    assert_error(doctor_client.post(f"/api/appointments/{appointment.id}/{route}", {"reason": "x"}), 404)
    appointment.refresh_from_db()
    assert appointment.status == "scheduled"


def test_consultation_editable_by_its_doctor_and_the_department_nurse_only(clients, own_consultation):
    for role in Role:
        editable = list(Consultation.objects.editable_by(clients[role].user))
        assert editable == ([own_consultation] if role in (Role.DOCTOR, Role.NURSE) else []), role


@pytest.mark.parametrize("path, payload", [
    ("", {"diagnosis": "changed"}),
    ("vital-signs/", {"heart_rate": 70}),
    ("prescriptions/", {"medication": "X", "dosage": "1", "frequency": "1"}),
    ("notes/", {"content": "late"}),
    ("start/", {}),
])
def test_another_doctors_consultation_is_404_for_every_write(client_for, own_consultation, path, payload):
    colleague = client_for(Role.DOCTOR)
    url = f"/api/consultations/{own_consultation.id}/{path}"
    response = colleague.patch(url, payload) if path == "" else colleague.post(url, payload)
    assert_error(response, 404)
    own_consultation.refresh_from_db()
    assert own_consultation.diagnosis != "changed" and own_consultation.status == "open"
    assert not (own_consultation.vital_signs.exists() or own_consultation.prescriptions.exists()
                or own_consultation.notes.exists())


# --- Patients: archived records are an admin's only ---------------------------------------------

def test_archived_record_is_reachable_and_editable_by_admins_only(admin_client, nurse_client, department):
    patient = PatientFactory(department=department, is_archived=True)
    base = f"/api/patients/{patient.id}/"
    for url in (base, f"{base}documents/", f"{base}consultations/"):
        assert_error(nurse_client.get(url), 404)
        assert admin_client.get(url).status_code == 200
    assert_error(nurse_client.patch(base, {"phone": "555"}), 404)
    assert_error(nurse_client.post(f"{base}documents/", {"file": SimpleUploadedFile("r.pdf", PDF), "title": "x"},
                                   format="multipart"), 404)
    patient.refresh_from_db()
    assert patient.phone != "555" and not patient.documents.exists()
    assert admin_client.patch(base, {"phone": "+966501230555"}).json()["phone"] == "+966501230555"


def test_records_for_hides_archived_records_from_everyone_but_admins(clients, department):
    live, archived = PatientFactory(department=department), PatientFactory(department=department, is_archived=True)
    assert set(Patient.objects.records_for(clients[Role.ADMIN].user)) >= {live, archived}
    assert list(Patient.objects.records_for(clients[Role.NURSE].user)) == [live]
    assert set(Patient.objects.visible_to(clients[Role.NURSE].user)) == {live, archived}  # history stays reachable
