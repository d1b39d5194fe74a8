import pytest

from accounts.choices import Role
from clinical.models import PatientDoctorMapping
from core.testing import assert_error
from tests.factories import DoctorProfileFactory, PatientDoctorMappingFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_admin_maps_any_patient_to_any_doctor(admin_client):
    patient, doctor = PatientFactory(), DoctorProfileFactory()
    response = admin_client.post("/api/mappings/", {"patient": patient.id, "doctor": doctor.id})
    assert response.status_code == 201, response.content
    mapping = PatientDoctorMapping.objects.get(pk=response.json()["id"])
    assert (mapping.patient, mapping.doctor, mapping.created_by) == (patient, doctor, admin_client.user)


def test_admin_must_name_the_doctor(admin_client):
    assert_error(admin_client.post("/api/mappings/", {"patient": PatientFactory().id}), 400, fields=["doctor"])
    assert not PatientDoctorMapping.objects.exists()


def test_doctor_maps_any_active_patient_to_themself_bringing_it_into_scope(doctor_client):
    patient = PatientFactory()
    assert_error(doctor_client.get(f"/api/patients/{patient.id}/"), 404)
    response = doctor_client.post("/api/mappings/", {"patient": patient.id})
    assert response.status_code == 201, response.content
    assert response.json()["doctor"] == doctor_client.user.doctor_profile.id
    assert response.json()["created_by"] == doctor_client.user.id
    assert doctor_client.get(f"/api/patients/{patient.id}/").status_code == 200


def test_doctor_cannot_map_to_another_doctor(doctor_client):
    patient, other = PatientFactory(), DoctorProfileFactory()
    response = doctor_client.post("/api/mappings/", {"patient": patient.id, "doctor": other.id})
    assert_error(response, 400, fields=["doctor"])
    assert not PatientDoctorMapping.objects.exists()


def test_archived_patient_cannot_be_mapped(doctor_client):
    patient = PatientFactory(is_archived=True)
    assert_error(doctor_client.post("/api/mappings/", {"patient": patient.id}), 400, fields=["patient"])
    assert not PatientDoctorMapping.objects.exists()


def test_pair_is_unique(doctor_client):
    patient = PatientFactory()
    PatientDoctorMappingFactory(patient=patient, doctor=doctor_client.user.doctor_profile)
    assert_error(doctor_client.post("/api/mappings/", {"patient": patient.id}), 400, fields=["patient"])
    assert PatientDoctorMapping.objects.count() == 1


@pytest.mark.parametrize("role", [Role.NURSE, Role.ENGINEER, Role.PATIENT])
def test_other_roles_cannot_create_mappings(clients, role):
    patient, doctor = PatientFactory(), DoctorProfileFactory()
    assert_error(clients[role].post("/api/mappings/", {"patient": patient.id, "doctor": doctor.id}), 403)
    assert not PatientDoctorMapping.objects.exists()


@pytest.mark.parametrize("role", [Role.NURSE, Role.ENGINEER])
def test_nurses_and_engineers_cannot_read_mappings(clients, role):
    assert_error(clients[role].get("/api/mappings/"), 403)


def test_list_scoping_and_filters(admin_client, doctor_client, patient_client):
    own_doctor = PatientDoctorMappingFactory(doctor=doctor_client.user.doctor_profile)
    own_patient = PatientDoctorMappingFactory(patient=patient_client.user.patient_record)
    stranger = PatientDoctorMappingFactory()
    ids = lambda client, query="": {m["id"] for m in client.get(f"/api/mappings/{query}").json()["results"]}  # noqa: E731
    assert ids(admin_client) == {own_doctor.id, own_patient.id, stranger.id}
    assert ids(doctor_client) == {own_doctor.id}
    assert ids(patient_client) == {own_patient.id}
    assert ids(admin_client, f"?patient={stranger.patient_id}") == {stranger.id}
    assert ids(admin_client, f"?doctor={own_doctor.doctor_id}") == {own_doctor.id}
    assert_error(doctor_client.get(f"/api/mappings/{stranger.id}/"), 404)
    assert_error(patient_client.get(f"/api/mappings/{stranger.id}/"), 404)


def test_only_admin_deletes_mappings(admin_client, doctor_client):
    mapping = PatientDoctorMappingFactory(doctor=doctor_client.user.doctor_profile)
    assert_error(doctor_client.delete(f"/api/mappings/{mapping.id}/"), 403)
    assert PatientDoctorMapping.objects.filter(pk=mapping.id).exists()
    assert admin_client.delete(f"/api/mappings/{mapping.id}/").status_code == 204
    assert not PatientDoctorMapping.objects.filter(pk=mapping.id).exists()


def test_mapping_list_query_count_is_flat(admin_client, django_assert_max_num_queries):
    PatientDoctorMappingFactory.create_batch(5)
    with django_assert_max_num_queries(5):  # + the one INSERT of the read entries (audit.reads)
        admin_client.get("/api/mappings/")
    PatientDoctorMappingFactory.create_batch(45)
    with django_assert_max_num_queries(5):  # + the one INSERT of the read entries (audit.reads)
        response = admin_client.get("/api/mappings/?page_size=50")
    assert len(response.json()["results"]) == 50
