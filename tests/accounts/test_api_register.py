"""Sign-up: patients active at once, staff pending, bad input refused."""


import pytest
from django.core import mail

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from clinical.models import DoctorProfile, Patient
from core.testing import assert_error
from tests.accounts.helpers import STRONG, register_body
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- register -------------------------------------------------------------------------------------

def test_anyone_registers_as_patient_active_with_linked_record(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/auth/register/", register_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["role"] == Role.PATIENT and body["is_active"] is True
    assert "password" not in body and "access" not in body
    user = User.objects.get(username="newbie")
    assert user.check_password(STRONG)
    record = Patient.objects.get(user=user)
    assert body["patient_id"] == record.id and record.first_name == "New"
    assert record.medical_record_number.startswith("MRN-")
    assert len(mail.outbox) == 1 and STRONG not in mail.outbox[0].body


def test_register_alias_route_works(api_client):
    response = api_client.post("/api/register/", register_body(), format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("role", [Role.NURSE, Role.ENGINEER])
def test_staff_signup_is_inactive_and_pending(api_client, role):
    response = api_client.post("/api/auth/register/", register_body(role=role), format="json")
    assert response.status_code == 201
    user = User.objects.get(username="newbie")
    assert (user.role, user.is_active, user.approval_status) == (role, False, ApprovalStatus.PENDING)
    assert response.json()["approval_status"] == "pending"


def test_doctor_signup_creates_pending_doctor_profile(api_client):
    department = DepartmentFactory()
    response = api_client.post("/api/auth/register/", register_body(
        role="doctor", medical_license_number="LIC-77", specialization="Neurology",
        department=department.id), format="json")
    assert response.status_code == 201, response.content
    profile = DoctorProfile.objects.get(user__username="newbie")
    assert (profile.medical_license_number, profile.specialization, profile.department) == (
        "LIC-77", "Neurology", department)
    assert response.json()["doctor_id"] == profile.id
    assert profile.user.approval_status == ApprovalStatus.PENDING


def test_doctor_signup_without_licence_is_400_naming_fields(api_client):
    response = api_client.post("/api/auth/register/", register_body(role="doctor"), format="json")
    assert_error(response, 400, "validation_error", fields=["medical_license_number", "specialization"])
    assert not User.objects.filter(username="newbie").exists()


def test_admin_cannot_be_self_registered(api_client):
    response = api_client.post("/api/auth/register/", register_body(role="admin"), format="json")
    assert_error(response, 400, fields=["role"])
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.parametrize("overrides, field", [
    ({"password": "123"}, "password"),
    ({"password": "password"}, "password"),
    ({"email": "not-an-email"}, "email"),
    ({"username": ""}, "username"),
    ({"first_name": ""}, "first_name"),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
])
def test_register_bad_input_is_400_naming_the_field_and_stores_nothing(api_client, overrides, field):
    response = api_client.post("/api/auth/register/", register_body(**overrides), format="json")
    assert_error(response, 400, "validation_error", fields=[field])
    assert User.objects.count() == 0 and Patient.objects.count() == 0


def test_register_duplicate_email_any_case_is_400(api_client):
    UserFactory(email="taken@example.org")
    response = api_client.post("/api/auth/register/", register_body(email="TAKEN@example.org"), format="json")
    assert_error(response, 400, fields=["email"])


def test_register_refuses_a_username_with_at_sign(api_client):
    assert_error(api_client.post("/api/auth/register/", register_body(username="eve@example.org"), format="json"),
                 400, fields=["username"])
