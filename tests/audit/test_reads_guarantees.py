"""What the read audit guarantees whatever is read: one INSERT per request (a list of 50 patients is
one multi-row insert, and no query per row to find the patients), nothing for a refused read, a 503
rather than data without its entry, no read for ingest, and reads under a live break-glass grant
marked."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from audit import reads
from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry
from clinical.choices import AppointmentStatus
from clinical.models import BreakGlassGrant, Patient
from core.testing import assert_error
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, VitalSignsFactory
from tests.factories.monitoring import AlertFactory, monitored_patient

pytestmark = pytest.mark.django_db

AUDIT_INSERT = 'INSERT INTO "audit_auditentry"'


def read_entries(**filters):
    return list(AuditEntry.objects.filter(action=AuditAction.READ, **filters))


def audit_inserts(queries):
    return [query["sql"] for query in queries.captured_queries if query["sql"].startswith(AUDIT_INSERT)]


def fifty(kind):
    if kind == "patients":
        PatientFactory.create_batch(50)
    elif kind == "appointments":
        AppointmentFactory.create_batch(50)
    elif kind == "consultations":
        ConsultationFactory.create_batch(50)
    elif kind == "alerts":
        for _ in range(50):
            AlertFactory(patient=monitored_patient()[0])
    else:
        PatientDoctorMappingFactory.create_batch(50)


# The lists' own pins (tests/<app>/test_api_*.py) plus the one INSERT of their read entries.
LISTS = {"patients": 4 + 1, "appointments": 3 + 1, "consultations": 3 + 1, "alerts": 3 + 1, "mappings": 4 + 1}


@pytest.mark.parametrize("kind", LISTS)
def test_a_list_of_fifty_patients_is_one_insert_of_fifty_entries(admin_client, kind):
    fifty(kind)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(f"/api/{kind}/?page_size=50", HTTP_X_REQUEST_ID=f"fifty-{kind}")
    assert response.status_code == 200 and len(response.json()["results"]) == 50
    assert len(audit_inserts(queries)) == 1
    assert len(queries) <= LISTS[kind]
    assert len({entry.patient_id for entry in read_entries(cid=f"fifty-{kind}")}) == 50
    assert len(read_entries(cid=f"fifty-{kind}")) == 50


def test_a_doctors_list_adds_one_select_of_their_grants_and_one_insert(client_for):
    doctor = UserFactory(doctor=True)
    for patient in PatientFactory.create_batch(50):
        PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(doctor).get("/api/patients/?page_size=50")
    assert response.status_code == 200 and len(response.json()["results"]) == 50
    grants = [q for q in queries.captured_queries if "clinical_breakglassgrant" in q["sql"]
              and 'FROM "clinical_patient"' not in q["sql"] and not q["sql"].startswith(AUDIT_INSERT)]
    # PostgreSQL runs the grants' subquery inside the INSERT; SQLite runs it as one SELECT before.
    in_the_insert = connection.vendor == "postgresql"
    assert len(audit_inserts(queries)) == 1 and len(grants) == (0 if in_the_insert else 1)


def test_a_nested_list_finds_its_patient_without_a_query_per_row(admin_client):
    consultation = ConsultationFactory()
    url = f"/api/consultations/{consultation.id}/vital-signs/?page_size=100"
    VitalSignsFactory(consultation=consultation)
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url)
    VitalSignsFactory.create_batch(30, consultation=consultation)
    with CaptureQueriesContext(connection) as many:
        assert len(admin_client.get(url).json()["results"]) == 31
    assert len(many) == len(one) and len(audit_inserts(many)) == 1


def test_a_page_of_history_is_one_read_entry_however_many_readings(ward_like):
    from tests.factories.monitoring import ReadingFactory

    ReadingFactory.create_batch(40, patient=ward_like["patient"], device=ward_like["monitor"])
    response = ward_like["nurse"].get(f"/api/records/{ward_like['patient'].id}/?page_size=100",
                                      HTTP_X_REQUEST_ID="history-40")
    assert len(response.json()["results"]) == 40
    (entry,) = read_entries(cid="history-40")
    assert (entry.data_kind, entry.patient_id, entry.actor_role) == (DataKind.READINGS, ward_like["patient"].id,
                                                                    Role.NURSE)


# --- nothing for a refused read ----------------------------------------------------------------

def test_refused_reads_record_nothing(client_for, ward_like):
    patient = ward_like["patient"]
    assert client_for(Role.DOCTOR).get(f"/api/patients/{patient.id}/").status_code == 404
    assert client_for(Role.ENGINEER).get("/api/patients/").status_code == 403
    assert ward_like["nurse"].get(f"/api/records/{patient.id}/?bucket=2m").status_code == 400
    assert ward_like["nurse"].get(f"/api/patients/{patient.id}/documents/999/download/").status_code == 404
    assert read_entries() == []


def test_a_refused_write_records_no_read(admin_client):
    patient = PatientFactory()
    response = admin_client.patch(f"/api/patients/{patient.id}/", {"hr_low": 500}, format="json")
    assert_error(response, 400, fields=["hr_low"])
    assert read_entries() == []


def test_the_database_failing_while_writing_the_entries_answers_503_not_the_data(admin_client):
    patient = PatientFactory(first_name="Secret")
    with mock.patch("audit.reads._insert", side_effect=OperationalError("down")):
        response = admin_client.get(f"/api/patients/{patient.id}/")
    body = assert_error(response, 503, code="service_unavailable", fields=["database"])
    assert b"Secret" not in response.content and body["errors"]
    assert read_entries() == []
    assert admin_client.get(f"/api/patients/{patient.id}/").status_code == 200  # and back when it is
    assert len(read_entries(patient_id=patient.id)) == 1


# --- ingest ------------------------------------------------------------------------------------

@pytest.fixture
def ward_like(client_for):
    department = DepartmentFactory()
    patient, monitor = monitored_patient(department=department)
    return {"patient": patient, "monitor": monitor,
            "nurse": client_for(UserFactory(role=Role.NURSE, department=department))}


def test_ingest_records_no_read(ward_like, admin_client, api_client):
    monitor, now = ward_like["monitor"], timezone.now()
    body = [{"device": monitor.id, "bpm": 150, "recorded_at": (now - timedelta(seconds=s)).isoformat()}
            for s in range(60, 0, -1)]  # a sustained breach: ingest opens an alert
    assert ward_like["nurse"].post("/api/records/", body, format="json").status_code == 201
    key = admin_client.post(f"/api/devices/{monitor.id}/api-keys/", {"name": "bed"}, format="json").json()["key"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    assert api_client.post("/api/records/", {"bpm": 70, "recorded_at": now.isoformat()},
                           format="json").status_code == 201
    assert read_entries() == []


# --- break-glass -------------------------------------------------------------------------------

def grant(user, patient, **fields):
    now = timezone.now()
    return BreakGlassGrant.objects.create(user=user, patient=patient, reason="Unconscious in the ER",
                                          expires_at=fields.pop("expires_at", now + timedelta(hours=4)), **fields)


def expired(user, patient):
    now = timezone.now()
    return grant(user, patient, created_at=now - timedelta(hours=5), expires_at=now - timedelta(hours=1))


def test_reads_under_a_live_grant_are_marked_and_the_others_not(client_for):
    nurse = UserFactory(role=Role.NURSE, department=DepartmentFactory())
    own, elsewhere = PatientFactory(department=nurse.department), PatientFactory(department=DepartmentFactory())
    grant(nurse, elsewhere)
    client = client_for(nurse)
    assert client.get(f"/api/patients/{elsewhere.id}/", HTTP_X_REQUEST_ID="bg-1").status_code == 200
    assert [entry.break_glass for entry in read_entries(cid="bg-1")] == [True]
    assert client.get("/api/patients/", HTTP_X_REQUEST_ID="bg-2").status_code == 200
    marks = {entry.patient_id: entry.break_glass for entry in read_entries(cid="bg-2")}
    assert marks == {own.id: False, elsewhere.id: True}


def test_an_expired_or_revoked_grant_marks_nothing(client_for):
    doctor = UserFactory(doctor=True)
    patient = PatientFactory()
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    expired(doctor, patient)
    grant(doctor, patient, revoked_at=timezone.now())
    assert client_for(doctor).get(f"/api/patients/{patient.id}/", HTTP_X_REQUEST_ID="bg-3").status_code == 200
    assert [entry.break_glass for entry in read_entries(cid="bg-3")] == [False]


def test_after_the_grant_expires_the_patient_is_out_of_scope_and_nothing_is_recorded(client_for):
    doctor = UserFactory(doctor=True)
    patient = PatientFactory()
    expired(doctor, patient)
    assert client_for(doctor).get(f"/api/patients/{patient.id}/").status_code == 404
    assert read_entries() == []


def flushed(user, *reads_to_record):
    """Record these reads as `user`'s request would, flush them, and return {patient: entry}."""
    from audit.context import reset_current_request, set_current_request
    from tests.audit.test_reads_api import object_type

    request = RequestFactory().get("/")
    request.user = user
    request_token, reads_token = set_current_request(request), reads.start()
    try:
        for args in reads_to_record:
            reads.record_read(*args)
        written = reads.flush()
    finally:
        reads.discard(reads_token)
        reset_current_request(request_token)
    entries = {entry.patient_id: entry for entry in read_entries()}
    assert written == len(entries)
    assert all(object_type(entry) == "clinical.patient" for entry in entries.values())
    return entries


@pytest.mark.parametrize("lookup", ["clinical's (a list)", "a subquery"])
def test_flush_marks_the_actors_granted_patients_whatever_the_route(monkeypatch, lookup):
    if lookup == "a subquery":  # run inside the INSERT on PostgreSQL, evaluated first elsewhere
        monkeypatch.setattr(reads, "_break_glass_lookup",
                            lambda user, ids: BreakGlassGrant.objects.patient_ids_for(user))
    doctor = UserFactory(doctor=True)
    granted, other = PatientFactory(), PatientFactory()
    grant(doctor, granted)
    grant(UserFactory(doctor=True), other)  # someone else's grant marks nothing of this doctor's
    entries = flushed(doctor, (DataKind.APPOINTMENTS, [granted.id, other.id, None], Patient),
                      (DataKind.PATIENT_RECORD, [granted.id], Patient))  # same patient: still one entry
    marks = {patient: (entry.break_glass, entry.data_kind) for patient, entry in entries.items()}
    assert marks == {granted.id: (True, DataKind.APPOINTMENTS), other.id: (False, DataKind.APPOINTMENTS)}


def test_an_entry_keeps_the_request_context(admin_client):
    patient = PatientFactory()
    admin_client.get(f"/api/patients/{patient.id}/", HTTP_X_REQUEST_ID="ctx-1", REMOTE_ADDR="10.1.2.3")
    (entry,) = read_entries(cid="ctx-1")
    assert (entry.remote_addr, entry.actor_email, entry.changes_text) == ("10.1.2.3", admin_client.user.email, "")
    assert abs((timezone.now() - entry.timestamp).total_seconds()) < 60


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's commit mode")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_commit_mode_does_not_outlive_the_insert():
    doctor = UserFactory(doctor=True)
    patient = PatientFactory()
    assert not connection.in_atomic_block
    assert set(flushed(doctor, (DataKind.PATIENT_RECORD, [patient.id], Patient))) == {patient.id}
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"  # the next statement (a change of clinical data) waits for its fsync


# --- outside a request -------------------------------------------------------------------------

def test_serializing_outside_a_request_records_nothing():
    from clinical.serializers import AppointmentSerializer, PatientSerializer

    appointment = AppointmentFactory(status=AppointmentStatus.CONFIRMED)
    PatientSerializer(appointment.patient).data  # a job, the shell: only people read
    AppointmentSerializer(appointment).data
    reads.record_read(DataKind.READINGS, [appointment.patient_id], Patient)
    assert read_entries() == []
