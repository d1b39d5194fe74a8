"""GET /api/patients/{id}/access-log/: who viewed or changed a patient's data, and when, for the patient
(own record only) and admins; newest first, page by page, with names and roles but no staff ids,
addresses or changed values."""
import pytest

from accounts.choices import Role
from audit.choices import AuditAction
from audit.models import AuditEntry
from core.testing import assert_error
from tests.clinical.break_glass import grant, outside_patient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SHAPE = {"id", "timestamp", "action", "data_kind", "who", "break_glass"}


def _log(client, patient, query=""):
    response = client.get(f"/api/patients/{patient.pk}/access-log/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_patient_reads_their_own_log(patient_client):
    record = patient_client.user.patient_record
    body = _log(patient_client, record)
    assert body["count"] == AuditEntry.objects.filter(patient_id=record.pk).count() >= 1
    assert all(set(row) == SHAPE for row in body["results"])


def test_another_patients_log_is_404_for_a_patient(patient_client, other_patient):
    assert_error(patient_client.get(f"/api/patients/{other_patient.pk}/access-log/"), 404)
    assert_error(patient_client.get("/api/patients/999999/access-log/"), 404)


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.ENGINEER])
def test_staff_may_not_read_access_logs(client_for, department, role):
    client = client_for(role, department=department)
    patient = outside_patient(department=department)  # in a nurse's care: still not theirs to read
    assert_error(client.get(f"/api/patients/{patient.pk}/access-log/"), 403)


def test_anonymous_caller_is_401(api_client, other_patient):
    assert api_client.get(f"/api/patients/{other_patient.pk}/access-log/").status_code == 401


def test_admin_reads_any_patients_log_including_an_archived_one(admin_client):
    patient = outside_patient(is_archived=True)
    assert _log(admin_client, patient)["count"] >= 1


def test_who_when_what_and_break_glass_newest_first(admin_client, doctor_client):
    patient = outside_patient()
    created = grant(doctor_client, patient)
    assert doctor_client.get(f"/api/patients/{patient.pk}/").status_code == 200
    rows = _log(admin_client, patient)["results"]
    doctor = {"name": doctor_client.user.get_full_name(), "role": Role.DOCTOR}

    read, grant_entry = rows[0], rows[1]
    assert (read["action"], read["data_kind"], read["who"], read["break_glass"]) == (
        "read", "patient_record", doctor, True)
    assert (grant_entry["action"], grant_entry["data_kind"], grant_entry["who"]) == ("create", "break_glass", doctor)
    assert grant_entry["id"] == AuditEntry.objects.get(object_id=created.pk, content_type__model="breakglassgrant",
                                                       action=AuditAction.CREATE).pk
    # The record's creation by a factory, outside any request: the system, no one named.
    assert rows[-1]["action"] == "create" and rows[-1]["who"] is None and rows[-1]["data_kind"] == "patient_record"
    stamps = [(row["timestamp"], row["id"]) for row in rows]
    assert stamps == sorted(stamps, reverse=True)
    assert created.reason not in str(rows)
    assert all(set(row["who"]) == {"name", "role"} for row in rows if row["who"] is not None)  # no staff ids


def test_only_this_patients_entries_are_listed(admin_client):
    patient, other = outside_patient(), outside_patient()
    assert admin_client.get(f"/api/patients/{other.pk}/").status_code == 200
    ids = {row["id"] for row in _log(admin_client, patient, "?page_size=100")["results"]}
    assert ids == set(AuditEntry.objects.filter(patient_id=patient.pk).values_list("pk", flat=True))
    assert not AuditEntry.objects.filter(pk__in=ids, patient_id=other.pk).exists()


def test_the_log_is_paginated_by_page_number(admin_client):
    patient = outside_patient()
    for _ in range(4):
        assert admin_client.get(f"/api/patients/{patient.pk}/").status_code == 200
    total = AuditEntry.objects.filter(patient_id=patient.pk).count()
    first = _log(admin_client, patient, "?page_size=2")
    assert first["count"] == total and len(first["results"]) == 2 and "page=2" in first["next"]
    second = _log(admin_client, patient, "?page_size=2&page=2")
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_the_patient_sees_staff_by_name_and_role_only(patient_client):
    record = patient_client.user.patient_record
    nurse = UserFactory(nurse=True, department=None)
    AuditEntry.objects.create(action=AuditAction.READ, content_type_id=1, object_pk=str(record.pk),
                              object_id=record.pk, object_repr="x", patient_id=record.pk, data_kind="readings",
                              actor=nurse, actor_name="Nora Nurse", actor_role=Role.NURSE, remote_addr="10.1.2.3")
    row = _log(patient_client, record)["results"][0]
    assert row["who"] == {"name": "Nora Nurse", "role": Role.NURSE} and row["data_kind"] == "readings"
    assert "10.1.2.3" not in str(row) and set(row) == SHAPE


def test_the_log_is_flat_in_queries(admin_client, django_assert_max_num_queries):
    patient = outside_patient()
    for _ in range(3):
        admin_client.get(f"/api/patients/{patient.pk}/")
    with django_assert_max_num_queries(4):  # the caller, the patient, the count, the page
        _log(admin_client, patient)
    for _ in range(10):
        admin_client.get(f"/api/patients/{patient.pk}/")
    with django_assert_max_num_queries(4):
        _log(admin_client, patient)
