"""Who reads what through /fhir/: the REST API's roles and scopes (a role that may never read a
resource 403, an object out of scope 404 like a missing one), break-glass grants, the read audit,
and every refusal an OperationOutcome in application/fhir+json (never HTML, never /api/'s shape)."""

import pytest

from accounts.choices import Role
from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry
from tests.factories import DepartmentFactory, DoctorProfileFactory, PatientDoctorMappingFactory, PatientFactory
from tests.factories.clinical import AppointmentFactory
from tests.factories.equipment import DeviceFactory
from tests.factories.monitoring import ReadingFactory, monitored_patient
from tests.fhir.conftest import fhir, outcome

pytestmark = pytest.mark.django_db


def patient_routes(patient):
    return [f"/fhir/Patient/{patient.pk}", f"/fhir/Patient?identifier={patient.medical_record_number}",
            f"/fhir/Observation?patient={patient.pk}", f"/fhir/Appointment?patient={patient.pk}",
            f"/fhir/Patient/{patient.pk}/$everything"]


@pytest.mark.parametrize("index", range(5))
def test_an_engineer_reads_no_patient_data(client_for, index):
    patient = PatientFactory()
    outcome(client_for(Role.ENGINEER).get(patient_routes(patient)[index]), 403, "forbidden")


@pytest.mark.parametrize("path", ["/fhir/Patient/1", "/fhir/Observation?patient=1", "/fhir/Slot", "/fhir/Device/1",
                                  "/fhir/Practitioner/1", "/fhir/Patient/1/$everything"])
def test_no_token_is_a_401_operation_outcome_with_a_bearer_challenge(api_client, path):
    response = api_client.get(path)
    outcome(response, 401, "login")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_a_401_operation_outcome(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    outcome(api_client.get("/fhir/Patient/1"), 401)


def test_a_patient_reads_their_own_record_and_no_one_else_s(client_for):
    client = client_for(Role.PATIENT)
    own, other = client.user.patient_record, PatientFactory()
    assert fhir(client.get(f"/fhir/Patient/{own.pk}"))["id"] == str(own.pk)
    outcome(client.get(f"/fhir/Patient/{other.pk}"), 404, "not-found")
    outcome(client.get(f"/fhir/Patient/{other.pk}/$everything"), 404, "not-found")
    assert fhir(client.get(f"/fhir/Patient?identifier={other.medical_record_number}"))["total"] == 0
    outcome(client.get(f"/fhir/Device/{DeviceFactory().pk}"), 403)  # devices: not a patient's (as REST)


def test_out_of_scope_answers_exactly_as_missing(client_for):
    doctor = client_for(Role.DOCTOR)
    stranger, monitor = monitored_patient()
    reading = ReadingFactory(patient=stranger, device=monitor)
    for path in (f"/fhir/Patient/{stranger.pk}", f"/fhir/Device/{monitor.pk}", f"/fhir/Observation/{reading.pk}",
                 "/fhir/Patient/999999", "/fhir/Patient/abc", "/fhir/Device/999999"):
        assert outcome(doctor.get(path), 404, "not-found")["diagnostics"] == "No such resource (or outside your scope)."
    # A search names nothing out of scope: an empty Bundle, as for a patient without data.
    for path in (f"/fhir/Observation?patient={stranger.pk}", f"/fhir/Appointment?patient={stranger.pk}"):
        body = fhir(doctor.get(path))
        assert body["type"] == "searchset" and "entry" not in body
    assert not AuditEntry.objects.filter(patient_id=stranger.pk, action=AuditAction.READ).exists()


def test_a_doctor_reads_the_patients_in_their_care(client_for):
    doctor = client_for(Role.DOCTOR)
    mine, monitor = monitored_patient()
    PatientDoctorMappingFactory(patient=mine, doctor=doctor.user.doctor_profile)
    ReadingFactory(patient=mine, device=monitor)
    assert fhir(doctor.get(f"/fhir/Patient/{mine.pk}"))["id"] == str(mine.pk)
    assert fhir(doctor.get(f"/fhir/Device/{monitor.pk}"))["patient"]["reference"] == f"Patient/{mine.pk}"
    assert len(fhir(doctor.get(f"/fhir/Observation?patient={mine.pk}"))["entry"]) == 1


def test_a_nurse_reads_her_department_s_patients_only(client_for):
    ward = DepartmentFactory()
    nurse = client_for(Role.NURSE, department=ward)
    assert fhir(nurse.get(f"/fhir/Patient/{PatientFactory(department=ward).pk}"))
    outcome(nurse.get(f"/fhir/Patient/{PatientFactory().pk}"), 404)


def test_a_break_glass_grant_opens_the_patient_and_its_reads_are_marked(client_for, grant):
    nurse = client_for(Role.NURSE, department=DepartmentFactory())
    patient, monitor = monitored_patient()
    ReadingFactory(patient=patient, device=monitor)
    outcome(nurse.get(f"/fhir/Patient/{patient.pk}"), 404)
    grant(nurse.user, patient)
    assert fhir(nurse.get(f"/fhir/Patient/{patient.pk}"))["id"] == str(patient.pk)
    assert len(fhir(nurse.get(f"/fhir/Observation?patient={patient.pk}"))["entry"]) == 1
    entries = AuditEntry.objects.filter(patient_id=patient.pk, action=AuditAction.READ, actor=nurse.user)
    assert entries.count() == 2 and all(entry.break_glass for entry in entries)


@pytest.mark.parametrize(("path", "kind"), [
    ("/fhir/Patient/{p}", DataKind.PATIENT_RECORD), ("/fhir/Patient?identifier={mrn}", DataKind.PATIENT_RECORD),
    ("/fhir/Observation?patient={p}", DataKind.READINGS), ("/fhir/Appointment?patient={p}", DataKind.APPOINTMENTS),
    ("/fhir/Device/{d}", DataKind.EQUIPMENT), ("/fhir/Patient/{p}/$everything", DataKind.PATIENT_RECORD),
])
def test_each_read_of_patient_data_is_one_audit_entry_per_patient(admin_client, path, kind):
    patient, monitor = monitored_patient()
    for _ in range(3):
        ReadingFactory(patient=patient, device=monitor)
    AppointmentFactory(patient=patient)
    AppointmentFactory(patient=patient)
    url = path.format(p=patient.pk, mrn=patient.medical_record_number, d=monitor.pk)
    fhir(admin_client.get(url, HTTP_X_REQUEST_ID="fhir-read-1"))
    entries = list(AuditEntry.objects.filter(action=AuditAction.READ, cid="fhir-read-1"))
    assert [(e.patient_id, e.data_kind, e.actor_id) for e in entries] == [(patient.pk, kind, admin_client.user.pk)]


def test_practitioner_and_slot_reads_are_not_patient_data(admin_client):
    doctor = DoctorProfileFactory()
    fhir(admin_client.get(f"/fhir/Practitioner/{doctor.pk}", HTTP_X_REQUEST_ID="fhir-read-2"))
    fhir(admin_client.get(f"/fhir/Slot?schedule={doctor.pk}", HTTP_X_REQUEST_ID="fhir-read-2"))
    assert not AuditEntry.objects.filter(cid="fhir-read-2").exists()


@pytest.mark.parametrize("path", ["/fhir/Nothing", "/fhir/Patient/1/history", "/fhir/patient/1", "/fhir/",
                                  "/fhir/Patient/1/%0A"])
def test_an_unknown_fhir_path_is_a_404_operation_outcome(admin_client, path):
    outcome(admin_client.get(path), 404, "not-found")


def test_writes_are_refused_as_operation_outcomes(admin_client):
    outcome(admin_client.post("/fhir/Patient", {"resourceType": "Patient"}, format="json"), 405)
    outcome(admin_client.delete(f"/fhir/Patient/{PatientFactory().pk}"), 405)
    outcome(admin_client.post("/fhir/Nothing", {}, format="json"), 404)


@pytest.mark.parametrize("accept", ["application/fhir+json", "application/json", "*/*",
                                    "text/html,application/xhtml+xml,*/*;q=0.8", None])
def test_json_and_fhir_json_are_accepted(admin_client, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    assert fhir(admin_client.get("/fhir/metadata", **headers))["resourceType"] == "CapabilityStatement"


def test_xml_is_a_406_operation_outcome(admin_client):
    outcome(admin_client.get("/fhir/metadata", HTTP_ACCEPT="application/fhir+xml"), 406)
    outcome(admin_client.get("/fhir/metadata?_format=xml"), 406)
    assert fhir(admin_client.get("/fhir/metadata?_format=json", HTTP_ACCEPT="application/xml"))


def test_an_unexpected_error_is_a_500_operation_outcome(admin_client, monkeypatch):
    from fhir import views

    def broken(patient):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.mapping, "patient_resource", broken)
    issue = outcome(admin_client.get(f"/fhir/Patient/{PatientFactory().pk}"), 500, "exception")
    assert "boom" not in issue["diagnostics"]


def test_a_database_failure_is_a_503_operation_outcome(admin_client, monkeypatch):
    from django.db import OperationalError

    from fhir import views

    def down(patient):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views.mapping, "patient_resource", down)
    outcome(admin_client.get(f"/fhir/Patient/{PatientFactory().pk}"), 503, "transient")


def test_head_answers_as_get_without_a_body(admin_client):
    response = admin_client.head(f"/fhir/Patient/{PatientFactory().pk}")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    assert response.content == b""
