"""Every read of a patient's clinical data through the API leaves one read entry per patient per
request: the right kind of data, object type (and object id when one record was read), actor,
request id (the caller's X-Request-ID) and break_glass false."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry
from clinical.choices import AppointmentStatus
from monitoring.choices import AlertKind
from tests.factories import PatientDoctorMappingFactory, PatientFactory, UserFactory
from tests.factories.clinical import (
    AppointmentFactory,
    ConsultationFactory,
    ConsultationNoteFactory,
    PrescriptionFactory,
    VitalSignsFactory,
)
from tests.factories.monitoring import AlertFactory, ReadingFactory, monitored_patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def read_entries(request_id):
    return list(AuditEntry.objects.filter(action=AuditAction.READ, cid=request_id).select_related("content_type"))


def object_type(entry):
    return f"{entry.content_type.app_label}.{entry.content_type.model}"


@pytest.fixture
def chart(admin_client):
    """One patient with something of every kind, two of each where a list can show several."""
    patient, monitor = monitored_patient()
    appointment = AppointmentFactory(patient=patient, status=AppointmentStatus.CONFIRMED)
    AppointmentFactory(patient=patient)
    consultation = ConsultationFactory(appointment=appointment)
    vitals = VitalSignsFactory.create_batch(2, consultation=consultation)
    prescriptions = PrescriptionFactory.create_batch(2, consultation=consultation)
    notes = ConsultationNoteFactory.create_batch(2, consultation=consultation)
    alerts = [AlertFactory(patient=patient, device=monitor, kind=kind) for kind in (AlertKind.TACHYCARDIA,
                                                                                   AlertKind.BRADYCARDIA)]
    ReadingFactory.create_batch(3, patient=patient, device=monitor)
    mapping = PatientDoctorMappingFactory(patient=patient)
    upload = admin_client.post(f"/api/patients/{patient.id}/documents/",
                               {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4\n"), "kind": "lab_report",
                                "title": "Blood"}, format="multipart", HTTP_X_REQUEST_ID="setup-upload")
    assert upload.status_code == 201, upload.content
    return {"patient": patient, "appointment": appointment, "consultation": consultation, "vitals": vitals,
            "prescriptions": prescriptions, "notes": notes, "alerts": alerts, "mapping": mapping,
            "document": upload.json()["id"]}


P, C = "/api/patients/{patient.id}", "/api/consultations/{consultation.id}"
# url, kind of data, object type, the record named when one record was read (else None: a list)
READS = {
    "patient": (P + "/", DataKind.PATIENT_RECORD, "clinical.patient", "patient"),
    "patient list": ("/api/patients/", DataKind.PATIENT_RECORD, "clinical.patient", "patient"),
    "readings page": ("/api/records/{patient.id}/", DataKind.READINGS, "monitoring.reading", None),
    "readings buckets": ("/api/records/{patient.id}/?bucket=5m", DataKind.READINGS, "monitoring.reading", None),
    "alerts": ("/api/alerts/", DataKind.ALERTS, "monitoring.alert", None),
    "alert": ("/api/alerts/{alerts[0].id}/", DataKind.ALERTS, "monitoring.alert", "alerts"),
    "appointments": ("/api/appointments/", DataKind.APPOINTMENTS, "clinical.appointment", None),
    "appointment": ("/api/appointments/{appointment.id}/", DataKind.APPOINTMENTS, "clinical.appointment",
                    "appointment"),
    "appointment history": ("/api/appointments/{appointment.id}/history/", DataKind.APPOINTMENTS,
                            "clinical.appointment", "appointment"),
    "consultations": ("/api/consultations/", DataKind.CONSULTATIONS, "clinical.consultation", "consultation"),
    "consultation": (C + "/", DataKind.CONSULTATIONS, "clinical.consultation", "consultation"),
    "patient's consultations": (P + "/consultations/", DataKind.CONSULTATIONS, "clinical.consultation",
                                "consultation"),
    "vital signs": (C + "/vital-signs/", DataKind.CONSULTATIONS, "clinical.vitalsigns", None),
    "prescriptions": (C + "/prescriptions/", DataKind.CONSULTATIONS, "clinical.prescription", None),
    "notes": (C + "/notes/", DataKind.CONSULTATIONS, "clinical.consultationnote", None),
    "documents": (P + "/documents/", DataKind.DOCUMENTS, "clinical.patientdocument", "document"),
    "document": (P + "/documents/{document}/", DataKind.DOCUMENTS, "clinical.patientdocument", "document"),
    "download": (P + "/documents/{document}/download/", DataKind.DOCUMENTS, "clinical.patientdocument",
                 "document"),
    "care team": (P + "/doctors/", DataKind.CARE_TEAM, "clinical.patientdoctormapping", None),
    "consultation pdf": (C + "/pdf/", DataKind.CONSULTATIONS, "clinical.consultation", "consultation"),
    "mappings": ("/api/mappings/", DataKind.CARE_TEAM, "clinical.patientdoctormapping", "mapping"),
    "mapping": ("/api/mappings/{mapping.id}/", DataKind.CARE_TEAM, "clinical.patientdoctormapping", "mapping"),
}


def _record_id(chart, name):
    value = chart[name]
    value = value[0] if isinstance(value, list) else value
    return value if isinstance(value, int) else value.pk


@pytest.mark.parametrize("what", READS)
def test_admin_read_leaves_one_entry_for_the_patient(admin_client, chart, what):
    url, kind, model, record = READS[what]
    request_id = "req-" + re.sub(r"[^a-z]+", "-", what)
    response = admin_client.get(url.format(**chart), HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 200, response.content
    assert response["X-Request-ID"] == request_id
    (entry,) = read_entries(request_id)
    assert (entry.patient_id, entry.data_kind, object_type(entry)) == (chart["patient"].id, kind, model)
    assert (entry.actor_id, entry.actor_role, entry.break_glass) == (admin_client.user.id, Role.ADMIN, False)
    assert entry.actor_name == admin_client.user.get_full_name()
    expected = _record_id(chart, record) if record else None
    assert entry.object_id == expected and entry.object_pk == ("" if expected is None else str(expected))
    assert entry.changes is None and entry.serialized_data is None  # a read copies no data


def test_list_entry_says_how_many_rows_of_the_patient_it_showed(admin_client, chart):
    admin_client.get("/api/alerts/", HTTP_X_REQUEST_ID="alerts-list")
    (entry,) = read_entries("alerts-list")
    assert entry.object_repr == f"2 alerts of patient #{chart['patient'].id}"
    admin_client.get(f"/api/records/{chart['patient'].id}/", HTTP_X_REQUEST_ID="history")
    assert read_entries("history")[0].object_repr == f"readings of patient #{chart['patient'].id}"


def test_a_list_of_several_patients_leaves_one_entry_each(admin_client):
    patients = PatientFactory.create_batch(3)
    admin_client.get("/api/patients/", HTTP_X_REQUEST_ID="three")
    assert sorted(entry.patient_id for entry in read_entries("three")) == sorted(p.id for p in patients)


def test_doctor_reads_are_entries_with_their_name_and_role(client_for):
    doctor = UserFactory(doctor=True, first_name="Gregory", last_name="House")
    patient = PatientFactory()
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    client = client_for(doctor)
    assert client.get(f"/api/patients/{patient.id}/", HTTP_X_REQUEST_ID="house-1").status_code == 200
    (entry,) = read_entries("house-1")
    assert (entry.actor_id, entry.actor_name, entry.actor_role) == (doctor.id, "Gregory House", Role.DOCTOR)
    assert entry.break_glass is False


def test_patient_reading_their_own_record_is_an_entry(client_for):
    user = UserFactory(patient=True)
    client = client_for(user)
    assert client.get(f"/api/patients/{user.patient_record.id}/", HTTP_X_REQUEST_ID="own").status_code == 200
    (entry,) = read_entries("own")
    assert (entry.patient_id, entry.actor_role) == (user.patient_record.id, Role.PATIENT)


def test_an_empty_list_records_nothing(admin_client):
    assert admin_client.get("/api/alerts/", HTTP_X_REQUEST_ID="empty").status_code == 200
    assert read_entries("empty") == []


def test_a_write_answering_with_the_record_is_a_read_too(admin_client):
    patient = PatientFactory()
    response = admin_client.patch(f"/api/patients/{patient.id}/", {"hr_high": 130}, format="json",
                                  HTTP_X_REQUEST_ID="patch-1")
    assert response.status_code == 200, response.content
    (entry,) = read_entries("patch-1")
    assert (entry.patient_id, entry.data_kind) == (patient.id, DataKind.PATIENT_RECORD)
    # ... and the change itself is its own entry of the same request
    assert AuditEntry.objects.filter(cid="patch-1", action=AuditAction.UPDATE, patient_id=patient.id).exists()
