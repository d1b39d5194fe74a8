from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from clinical.models import Patient, PatientDoctorMapping
from core.testing import assert_error
from tests.factories import (
    DepartmentFactory,
    DoctorProfileFactory,
    PatientDoctorMappingFactory,
    PatientFactory,
    UserFactory,
)
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

NEW_PATIENT = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-05-01", "sex": "female",
               "phone": "+14155550100", "blood_type": "O+", "emergency_contact_name": "Byron",
               "emergency_contact_phone": "+14155550200", "emergency_contact_relation": "father"}


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_admin_creates_patient_with_generated_mrn_and_defaults(admin_client):
    response = admin_client.post("/api/patients/", NEW_PATIENT)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["medical_record_number"].startswith("MRN-")
    assert body["hr_low"] == 50 and body["hr_high"] == 120 and body["is_archived"] is False
    stored = Patient.objects.get(pk=body["id"])
    assert stored.emergency_contact_relation == "father" and stored.user is None


def test_nurse_new_patient_joins_nurse_department(nurse_client, department):
    response = nurse_client.post("/api/patients/", NEW_PATIENT)
    assert response.status_code == 201, response.content
    assert Patient.objects.get(pk=response.json()["id"]).department == department
    assert response.json()["id"] in _ids(nurse_client.get("/api/patients/"))


def test_doctor_new_patient_is_mapped_to_the_doctor(doctor_client):
    response = doctor_client.post("/api/patients/", NEW_PATIENT)
    assert response.status_code == 201, response.content
    mapping = PatientDoctorMapping.objects.get(patient_id=response.json()["id"])
    assert mapping.doctor == doctor_client.user.doctor_profile and mapping.created_by == doctor_client.user
    assert doctor_client.get(f"/api/patients/{response.json()['id']}/").status_code == 200


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ENGINEER])
def test_patients_and_engineers_cannot_create_patients(clients, role):
    assert_error(clients[role].post("/api/patients/", NEW_PATIENT), 403, "permission_denied")
    assert not Patient.objects.filter(last_name="Lovelace").exists()


def test_engineer_cannot_list_patients(engineer_client):
    assert_error(engineer_client.get("/api/patients/"), 403)


@pytest.mark.parametrize("payload, field", [
    ({"date_of_birth": (timezone.localdate() + timedelta(days=1)).isoformat()}, "date_of_birth"),
    ({"hr_low": 130}, "hr_low"),
    ({"hr_low": 60, "hr_high": 60}, "hr_low"),
    ({"hr_high": 40}, "hr_high"),
    ({"hr_high": 99999999999}, "hr_high"),
    ({"hr_high": 301}, "hr_high"),
    ({"hr_low": 19}, "hr_low"),
    ({"hr_low": "fifty"}, "hr_low"),
    ({"sex": "robot"}, "sex"),
    ({"blood_type": "Z"}, "blood_type"),
    ({"first_name": ""}, "first_name"),
])
def test_bad_patient_input_is_refused_and_nothing_stored(admin_client, payload, field):
    assert_error(admin_client.post("/api/patients/", {**NEW_PATIENT, **payload}), 400, "validation_error", [field])
    assert not Patient.objects.filter(last_name="Lovelace").exists()


def test_partial_update_checks_thresholds_against_stored_values(admin_client):
    patient = PatientFactory(hr_low=50, hr_high=120)
    assert_error(admin_client.patch(f"/api/patients/{patient.id}/", {"hr_high": 45}), 400, fields=["hr_high"])
    patient.refresh_from_db()
    assert patient.hr_high == 120
    assert admin_client.patch(f"/api/patients/{patient.id}/", {"hr_high": 110}).json()["hr_high"] == 110


def test_scoping_of_the_patient_list(admin_client, doctor_client, nurse_client, patient_client, department):
    doctor = doctor_client.user.doctor_profile
    mapped = PatientFactory()
    PatientDoctorMappingFactory(patient=mapped, doctor=doctor)
    booked = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor)).patient
    in_dept = PatientFactory(department=department)
    other_dept = PatientFactory(department=DepartmentFactory(name="Other"))
    own = patient_client.user.patient_record
    everyone = {mapped.id, booked.id, in_dept.id, other_dept.id, own.id}

    assert _ids(admin_client.get("/api/patients/")) == everyone
    assert _ids(doctor_client.get("/api/patients/")) == {mapped.id, booked.id}
    assert _ids(nurse_client.get("/api/patients/")) == {in_dept.id}
    assert _ids(patient_client.get("/api/patients/")) == {own.id}


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.PATIENT])
def test_out_of_scope_patient_is_404_like_a_missing_one(clients, role, other_patient):
    client = clients[role]
    missing = assert_error(client.get("/api/patients/999999/"), 404)
    hidden = assert_error(client.get(f"/api/patients/{other_patient.id}/"), 404)
    assert missing == hidden
    assert_error(client.patch(f"/api/patients/{other_patient.id}/", {"phone": "1"}), 404)
    assert_error(client.get(f"/api/patients/{other_patient.id}/doctors/"), 404)
    other_patient.refresh_from_db()
    assert other_patient.phone == ""


def test_patient_edits_only_contact_fields_of_own_record(patient_client):
    record = patient_client.user.patient_record
    response = patient_client.patch(f"/api/patients/{record.id}/", {
        "phone": "+9665012399", "address": "1 Road", "emergency_contact_name": "Mum"})
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.phone == "+9665012399" and record.address == "1 Road" and record.emergency_contact_name == "Mum"


def test_patient_sending_a_clinical_field_is_refused_and_nothing_changes(patient_client):
    record = patient_client.user.patient_record
    response = patient_client.patch(f"/api/patients/{record.id}/", {
        "phone": "+9665012399", "allergies": "none (hacked)", "hr_low": 30, "first_name": "Hacker", "department": None})
    errors = assert_error(response, 400, fields=["allergies", "hr_low", "first_name"])["errors"]
    assert "department" not in errors  # sent back unchanged (null), so not a change
    record.refresh_from_db()
    assert record.phone != "+9665012399" and record.allergies == "" and record.hr_low == 50
    assert record.first_name != "Hacker"


def test_nurse_updates_clinical_fields_in_department(nurse_client, department):
    patient = PatientFactory(department=department)
    response = nurse_client.patch(f"/api/patients/{patient.id}/", {"allergies": "Penicillin", "hr_high": 130})
    assert response.status_code == 200, response.content
    patient.refresh_from_db()
    assert patient.allergies == "Penicillin" and patient.hr_high == 130


def test_admin_archives_patient_keeping_history(admin_client, doctor_client):
    doctor = doctor_client.user.doctor_profile
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor))
    patient = appointment.patient
    assert admin_client.delete(f"/api/patients/{patient.id}/").status_code == 204
    patient.refresh_from_db()
    assert patient.is_archived and patient.archived_at is not None
    assert patient.appointments.count() == 1
    assert patient.id not in _ids(admin_client.get("/api/patients/"))
    assert admin_client.get(f"/api/patients/{patient.id}/").json()["is_archived"] is True
    assert_error(doctor_client.get(f"/api/patients/{patient.id}/"), 404)
    assert patient.id not in _ids(doctor_client.get("/api/patients/"))


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.PATIENT, Role.ENGINEER])
def test_only_admin_archives(clients, role, department):
    patient = PatientFactory(department=department)
    assert_error(clients[role].delete(f"/api/patients/{patient.id}/"), 403)
    patient.refresh_from_db()
    assert not patient.is_archived


def test_search_and_filters(admin_client, department):
    wanted = PatientFactory(last_name="Zebulon", sex="male", blood_type="AB-", department=department)
    PatientFactory(last_name="Other", sex="female", blood_type="O+")
    assert _ids(admin_client.get("/api/patients/?search=zebul")) == {wanted.id}
    assert _ids(admin_client.get(f"/api/patients/?search={wanted.medical_record_number}")) == {wanted.id}
    assert _ids(admin_client.get(f"/api/patients/?department={department.id}")) == {wanted.id}
    assert _ids(admin_client.get("/api/patients/?sex=male&blood_type=AB-")) == {wanted.id}
    assert_error(admin_client.get("/api/patients/?sex=robot"), 400, fields=["sex"])


def test_patient_doctors_lists_mapped_profiles(patient_client):
    record = patient_client.user.patient_record
    first, second = DoctorProfileFactory(), DoctorProfileFactory()
    DoctorProfileFactory()
    PatientDoctorMappingFactory(patient=record, doctor=first)
    PatientDoctorMappingFactory(patient=record, doctor=second)
    body = patient_client.get(f"/api/patients/{record.id}/doctors/").json()
    assert {d["id"] for d in body["results"]} == {first.id, second.id}


def test_patient_consultations_are_scoped(patient_client, doctor_client, other_patient):
    record = patient_client.user.patient_record
    consultation = ConsultationFactory(appointment__patient=record)
    ConsultationFactory(appointment__patient=other_patient)
    body = patient_client.get(f"/api/patients/{record.id}/consultations/").json()
    assert [c["id"] for c in body["results"]] == [consultation.id]
    assert_error(doctor_client.get(f"/api/patients/{record.id}/consultations/"), 404)


def test_patient_list_query_count_is_flat(admin_client, django_assert_max_num_queries, department):
    PatientFactory.create_batch(5, department=department)
    with django_assert_max_num_queries(5):  # + the one INSERT of the read entries (audit.reads)
        small = admin_client.get("/api/patients/")
    PatientFactory.create_batch(45, department=department)
    with django_assert_max_num_queries(5):  # + the one INSERT of the read entries (audit.reads)
        large = admin_client.get("/api/patients/?page_size=50")
    assert len(small.json()["results"]) == 5 and len(large.json()["results"]) == 50


def test_only_admin_links_a_login_to_a_record(admin_client, nurse_client, department):
    login = UserFactory(role=Role.PATIENT)
    patient = PatientFactory(department=department)
    nurse_client.patch(f"/api/patients/{patient.id}/", {"user": login.id})
    patient.refresh_from_db()
    assert patient.user is None
    assert admin_client.patch(f"/api/patients/{patient.id}/", {"user": login.id}).json()["user"] == login.id
    other = PatientFactory()
    assert_error(admin_client.patch(f"/api/patients/{other.id}/", {"user": login.id}), 400, fields=["user"])


def test_patch_answer_keeps_department_name_when_there_is_none(admin_client):
    patient = PatientFactory(department=None)
    body = admin_client.patch(f"/api/patients/{patient.id}/", {"phone": "+966501230300"}, format="json").json()
    assert body["department_name"] is None and body["phone"] == "+966501230300"
