"""Login, its throttles, token refresh and verify, logout."""


import pytest

from accounts.choices import ApprovalStatus, Role
from core.testing import assert_error
from tests.accounts.helpers import login
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


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
