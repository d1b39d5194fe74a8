import pytest

from accounts.choices import Role
from clinical.models import Department, DoctorProfile
from core.testing import assert_error
from tests.factories import DepartmentFactory, DoctorProfileFactory, UserFactory
from tests.factories.clinical import TimeSlotFactory

pytestmark = pytest.mark.django_db

NON_ADMIN = [Role.DOCTOR, Role.NURSE, Role.ENGINEER, Role.PATIENT]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_departments(clients, role):
    DepartmentFactory(name="Neurology")
    response = clients[role].get("/api/departments/?search=neuro")
    assert response.status_code == 200
    assert [d["name"] for d in response.json()["results"]] == ["Neurology"]


def test_anonymous_cannot_read_departments(api_client):
    assert_error(api_client.get("/api/departments/"), 401)


def test_admin_manages_departments(admin_client):
    created = admin_client.post("/api/departments/", {"name": "Oncology", "description": "Floor 3"})
    assert created.status_code == 201, created.content
    dept_id = created.json()["id"]
    assert admin_client.patch(f"/api/departments/{dept_id}/", {"description": "Floor 4"}).json()["description"] \
        == "Floor 4"
    assert_error(admin_client.post("/api/departments/", {"name": "Oncology"}), 400, fields=["name"])
    assert Department.objects.filter(name="Oncology").count() == 1
    assert admin_client.delete(f"/api/departments/{dept_id}/").status_code == 204
    assert not Department.objects.filter(pk=dept_id).exists()


@pytest.mark.parametrize("role", NON_ADMIN)
def test_non_admins_cannot_write_departments(clients, role):
    dept = DepartmentFactory(name="Radiology")
    client = clients[role]
    assert_error(client.post("/api/departments/", {"name": "X"}), 403, "permission_denied")
    assert_error(client.patch(f"/api/departments/{dept.id}/", {"name": "Y"}), 403)
    assert_error(client.delete(f"/api/departments/{dept.id}/"), 403)
    dept.refresh_from_db()
    assert dept.name == "Radiology" and not Department.objects.filter(name="X").exists()


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_doctors(clients, role):
    profile = DoctorProfileFactory(specialization="Neurology")
    body = clients[role].get(f"/api/doctors/{profile.id}/").json()
    assert body["medical_license_number"] == profile.medical_license_number
    assert body["user"] == profile.user_id and body["specialization"] == "Neurology"


def test_admin_creates_doctor_profile_for_doctor_user(admin_client, department):
    user = UserFactory(role=Role.DOCTOR)
    response = admin_client.post("/api/doctors/", {"user": user.id, "medical_license_number": "LIC-NEW",
                                                   "specialization": "Surgery", "department": department.id})
    assert response.status_code == 201, response.content
    assert DoctorProfile.objects.get(user=user).department == department


def test_doctor_profile_licence_is_unique(admin_client):
    existing = DoctorProfileFactory()
    user = UserFactory(role=Role.DOCTOR)
    response = admin_client.post("/api/doctors/", {"user": user.id, "specialization": "Surgery",
                                                   "medical_license_number": existing.medical_license_number})
    assert_error(response, 400, "validation_error", ["medical_license_number"])
    assert not DoctorProfile.objects.filter(user=user).exists()


def test_doctor_profile_needs_a_doctor_user_without_profile(admin_client):
    nurse = UserFactory(role=Role.NURSE)
    taken = DoctorProfileFactory()
    for user in (nurse, taken.user):
        response = admin_client.post("/api/doctors/", {"user": user.id, "medical_license_number": "L-1",
                                                       "specialization": "S"})
        assert_error(response, 400, fields=["user"])
    assert DoctorProfile.objects.count() == 1


def test_doctor_patches_own_profile_but_not_licence_nor_department(doctor_client, department):
    profile = doctor_client.user.doctor_profile
    licence = profile.medical_license_number
    for change in ({"medical_license_number": "HACKED"}, {"department": department.id}):
        refused = doctor_client.patch(f"/api/doctors/{profile.id}/", {"specialization": "Pediatrics", **change})
        assert_error(refused, 400, fields=list(change))
    profile.refresh_from_db()
    assert profile.specialization != "Pediatrics" and profile.medical_license_number == licence
    assert profile.user.department is None
    response = doctor_client.patch(f"/api/doctors/{profile.id}/", {  # values sent back unchanged are fine
        "specialization": "Pediatrics", "department": None, "medical_license_number": licence}, format="json")
    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    assert profile.specialization == "Pediatrics"


def test_doctor_cannot_patch_another_doctors_profile(doctor_client):
    other = DoctorProfileFactory(specialization="Cardiology")
    assert_error(doctor_client.patch(f"/api/doctors/{other.id}/", {"specialization": "X"}), 404)
    assert_error(doctor_client.put(f"/api/doctors/{other.id}/", {"specialization": "X"}), 403)
    other.refresh_from_db()
    assert other.specialization == "Cardiology"


@pytest.mark.parametrize("role", [Role.NURSE, Role.ENGINEER, Role.PATIENT])
def test_other_roles_cannot_write_doctor_profiles(clients, role):
    profile = DoctorProfileFactory(specialization="Cardiology")
    assert_error(clients[role].patch(f"/api/doctors/{profile.id}/", {"specialization": "X"}), 403)
    assert_error(clients[role].delete(f"/api/doctors/{profile.id}/"), 403)
    profile.refresh_from_db()
    assert profile.specialization == "Cardiology"


def test_admin_cannot_delete_doctor_with_slots(admin_client):
    slot = TimeSlotFactory()
    assert_error(admin_client.delete(f"/api/doctors/{slot.doctor_id}/"), 409, "protected")
    assert DoctorProfile.objects.filter(pk=slot.doctor_id).exists()


def test_doctor_list_query_count_is_flat(admin_client, django_assert_max_num_queries, department):
    DoctorProfileFactory.create_batch(5, user__department=department)
    with django_assert_max_num_queries(4):
        small = admin_client.get("/api/doctors/")
    DoctorProfileFactory.create_batch(45, user__department=department)
    with django_assert_max_num_queries(4):
        large = admin_client.get("/api/doctors/?page_size=50")
    assert len(small.json()["results"]) == 5 and len(large.json()["results"]) == 50


def test_patch_answer_keeps_department_name_when_there_is_none(admin_client, department):
    profile = DoctorProfileFactory(user__department=department)
    response = admin_client.patch(f"/api/doctors/{profile.id}/", {"department": None}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["department"] is None and response.json()["department_name"] is None
    profile.user.refresh_from_db()
    assert profile.user.department is None
