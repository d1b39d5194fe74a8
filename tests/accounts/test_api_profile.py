"""The caller's profile and password change."""


import pytest

from accounts.choices import Role
from core.testing import assert_error
from tests.accounts.helpers import STRONG, login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


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
