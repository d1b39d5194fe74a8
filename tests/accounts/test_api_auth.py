import re

import pytest
from django.core import mail

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from clinical.models import DoctorProfile, Patient
from core.testing import assert_error
from tests.factories import DEFAULT_PASSWORD, DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "Sturdy-Password-91"


def register_body(**overrides):
    body = {"username": "newbie", "email": "newbie@example.org", "password": STRONG,
            "first_name": "New", "last_name": "Bie"}
    body.update(overrides)
    return body


def code_from(message):
    return re.search(r"\b(\d{6})\b", message.body).group(1)


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


# --- login, refresh, verify, logout ---------------------------------------------------------------

def login(api_client, **body):
    return api_client.post("/api/auth/login/", body, format="json")


def test_login_by_username_returns_tokens_and_user(api_client):
    user = UserFactory(doctor=True)
    response = login(api_client, username=user.username, password=DEFAULT_PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["access"] and body["refresh"]
    assert body["user"]["id"] == user.id and body["user"]["role"] == "doctor"
    assert body["user"]["doctor_id"] == user.doctor_profile.id


def test_login_by_email_and_token_alias(api_client):
    user = UserFactory()
    response = api_client.post("/api/token/", {"email": user.email.upper(), "password": DEFAULT_PASSWORD},
                               format="json")
    assert response.status_code == 200
    assert response.json()["user"]["username"] == user.username


def test_access_token_authenticates(api_client):
    user = UserFactory()
    access = login(api_client, username=user.username, password=DEFAULT_PASSWORD).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get("/api/auth/profile/").json()["id"] == user.id


def test_wrong_password_is_401(api_client):
    user = UserFactory()
    assert_error(login(api_client, username=user.username, password="nope"), 401, "invalid_credentials")


def test_login_without_identifier_is_400(api_client):
    assert_error(login(api_client, password="x"), 400, fields=["username"])


@pytest.mark.parametrize("traits, code", [
    ({"pending": True, "role": Role.NURSE}, "account_pending"),
    ({"is_active": False}, "account_inactive"),
    ({"approval_status": ApprovalStatus.REJECTED, "is_active": False, "role": Role.ENGINEER},
     "account_rejected"),
])
def test_pending_inactive_or_rejected_users_cannot_log_in(api_client, traits, code):
    user = UserFactory(**traits)
    body = assert_error(login(api_client, username=user.username, password=DEFAULT_PASSWORD), 401, code)
    assert "access" not in body


def test_failed_logins_are_throttled_per_username_with_retry_after(api_client, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    user = UserFactory()
    for _ in range(3):
        assert login(api_client, username=user.username, password="wrong").status_code == 401
    response = login(api_client, username=user.username, password=DEFAULT_PASSWORD)
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    other = UserFactory()
    assert login(api_client, username=other.username, password=DEFAULT_PASSWORD).status_code == 200


def test_the_account_lock_holds_whether_username_or_email_is_used(api_client, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    user = UserFactory()
    for identifier in ({"username": user.username}, {"email": user.email}, {"username": user.username}):
        api_client.post("/api/auth/login/", {**identifier, "password": "wrong"}, format="json")
    by_email = api_client.post("/api/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert_error(by_email, 429)
    assert_error(login(api_client, username=user.username, password=DEFAULT_PASSWORD), 429)


def test_failed_logins_are_throttled_per_client_address(api_client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        login(api_client, username=f"ghost{n}", password="wrong")
    user = UserFactory()
    assert_error(login(api_client, username=user.username, password=DEFAULT_PASSWORD), 429)


def test_a_forged_forwarded_for_header_does_not_reset_the_address_limit(api_client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        login(api_client, username=f"ghost{n}", password="wrong")
    user = UserFactory()
    response = api_client.post("/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD},
                               format="json", HTTP_X_FORWARDED_FOR="10.9.9.10")
    assert_error(response, 429)


def test_refresh_rotates_and_blacklists_the_old_token(api_client):
    user = UserFactory()
    first = login(api_client, username=user.username, password=DEFAULT_PASSWORD).json()["refresh"]
    response = api_client.post("/api/auth/refresh/", {"refresh": first}, format="json")
    assert response.status_code == 200
    second = response.json()["refresh"]
    assert second and second != first and response.json()["access"]
    assert_error(api_client.post("/api/token/refresh/", {"refresh": first}, format="json"), 401)
    assert api_client.post("/api/auth/refresh/", {"refresh": second}, format="json").status_code == 200


def test_verify_accepts_good_and_refuses_bad_tokens(api_client):
    user = UserFactory()
    access = login(api_client, username=user.username, password=DEFAULT_PASSWORD).json()["access"]
    assert api_client.post("/api/auth/verify/", {"token": access}, format="json").status_code == 200
    assert api_client.post("/api/token/verify/", {"token": access}, format="json").status_code == 200
    assert_error(api_client.post("/api/auth/verify/", {"token": "garbage"}, format="json"), 401)


def test_logout_blacklists_the_refresh_token(api_client):
    user = UserFactory()
    tokens = login(api_client, username=user.username, password=DEFAULT_PASSWORD).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api_client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert_error(api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json"), 401)
    assert_error(api_client.post("/api/auth/verify/", {"token": tokens["refresh"]}, format="json"), 401,
                 "token_not_valid")


def test_logout_refuses_someone_elses_token(api_client, client_for):
    victim = UserFactory()
    victim_refresh = login(api_client, username=victim.username, password=DEFAULT_PASSWORD).json()["refresh"]
    attacker = client_for(Role.PATIENT)
    assert_error(attacker.post("/api/auth/logout/", {"refresh": victim_refresh}, format="json"), 400,
                 fields=["refresh"])
    assert api_client.post("/api/auth/refresh/", {"refresh": victim_refresh}, format="json").status_code == 200


def test_logout_requires_authentication(api_client):
    assert_error(api_client.post("/api/auth/logout/", {"refresh": "x"}, format="json"), 401)


# --- profile and password change ------------------------------------------------------------------

def test_profile_and_me_alias_show_the_caller(client_for):
    client = client_for(Role.PATIENT)
    profile = client.get("/api/auth/profile/").json()
    assert profile["id"] == client.user.id and profile["patient_id"] == client.user.patient_record.id
    assert client.get("/api/users/me/").json() == profile
    assert_error(client.patch("/api/users/me/", {"first_name": "X"}, format="json"), 405)


def test_profile_update_keeps_role_and_flags_read_only(client_for):
    client = client_for(Role.NURSE)
    response = client.patch("/api/auth/profile/", {"first_name": "Flo", "role": "admin", "is_active": False,
                                                   "approval_status": "rejected"}, format="json")
    # Refused naming each read-only field, never silently dropped; nothing is stored.
    assert_error(response, 400, "validation_error", fields=["role", "is_active", "approval_status"])
    client.user.refresh_from_db()
    assert client.user.first_name != "Flo"
    assert (client.user.role, client.user.is_active, client.user.approval_status) == ("nurse", True, "approved")


def test_profile_email_change_unverifies_and_duplicate_is_400(client_for):
    client = client_for(Role.PATIENT, email_verified=True)
    UserFactory(email="other@example.org")
    assert_error(client.patch("/api/auth/profile/", {"email": "OTHER@example.org"}, format="json"), 400,
                 fields=["email"])
    assert client.patch("/api/auth/profile/", {"email": "fresh@example.org"}, format="json").status_code == 200
    client.user.refresh_from_db()
    assert client.user.email == "fresh@example.org" and client.user.email_verified is False


def test_profile_requires_authentication(api_client):
    assert_error(api_client.get("/api/auth/profile/"), 401, "not_authenticated")


def test_password_change(client_for):
    client = client_for(Role.ENGINEER)
    response = client.post("/api/auth/password/change/",
                           {"old_password": DEFAULT_PASSWORD, "new_password": STRONG}, format="json")
    assert response.status_code == 200
    client.user.refresh_from_db()
    assert client.user.check_password(STRONG)


@pytest.mark.parametrize("body, field", [
    ({"old_password": "wrong", "new_password": STRONG}, "old_password"),
    ({"old_password": DEFAULT_PASSWORD, "new_password": "short"}, "new_password"),
    ({"old_password": DEFAULT_PASSWORD}, "new_password"),
])
def test_password_change_bad_input(client_for, body, field):
    client = client_for(Role.ENGINEER)
    assert_error(client.post("/api/auth/password/change/", body, format="json"), 400, fields=[field])
    client.user.refresh_from_db()
    assert client.user.check_password(DEFAULT_PASSWORD)


def test_password_change_revokes_refresh_tokens(api_client):
    user = UserFactory()
    tokens = login(api_client, username=user.username, password=DEFAULT_PASSWORD).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    api_client.post("/api/auth/password/change/", {"old_password": DEFAULT_PASSWORD, "new_password": STRONG},
                    format="json")
    api_client.credentials()
    assert_error(api_client.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json"), 401)


def test_register_refuses_a_username_with_at_sign(api_client):
    assert_error(api_client.post("/api/auth/register/", register_body(username="eve@example.org"), format="json"),
                 400, fields=["username"])
