"""Errors say what to do; nothing the caller sent is silently dropped (issue 9)."""

import pytest

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from core.testing import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- fields the caller may not set are refused, never dropped ---------------------------------

def test_admin_create_with_a_password_is_400_naming_it_and_nothing_stored(admin_client):
    body = {"username": "nina", "email": "nina@example.org", "role": "nurse", "password": "Secret-pass-2026"}
    error = assert_error(admin_client.post("/api/users/", body, format="json"), 400, "validation_error",
                         fields=["password"])
    assert list(error["errors"]) == ["password"]
    assert "/api/auth/password/reset/" in error["errors"]["password"][0]
    assert not User.objects.filter(username="nina").exists()


@pytest.mark.parametrize("field, value", [
    ("role", "admin"), ("is_active", False), ("approval_status", "rejected"), ("username", "someone-else"),
    ("email_verified", True), ("id", 999), ("date_joined", "2020-01-01T00:00:00Z"),
])
def test_profile_refuses_a_changed_read_only_field_naming_it(client_for, field, value):
    client = client_for(Role.NURSE)
    before = User.objects.values().get(pk=client.user.pk)
    error = assert_error(client.patch("/api/auth/profile/", {"first_name": "Flo", field: value}, format="json"),
                         400, "validation_error", fields=[field])
    assert list(error["errors"]) == [field]
    assert User.objects.values().get(pk=client.user.pk) == before  # nothing stored, first_name included


def test_profile_accepts_read_only_fields_sent_back_unchanged(client_for):
    client = client_for(UserFactory(role=Role.NURSE, approval_status=ApprovalStatus.APPROVED))
    profile = client.get("/api/auth/profile/").json()
    response = client.put("/api/auth/profile/", {**profile, "first_name": "Flo"}, format="json")
    assert response.status_code == 200, response.content
    client.user.refresh_from_db()
    assert client.user.first_name == "Flo" and client.user.role == Role.NURSE


# --- a path without its trailing slash names the right one ------------------------------------

@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_path_without_trailing_slash_names_the_right_one(api_client, method):
    error = assert_error(getattr(api_client, method)("/api/auth/login"), 404, "not_found")
    assert error["message"] == ("No API route matches /api/auth/login. "
                                "Use /api/auth/login/ (with the trailing slash).")


def test_detail_path_without_trailing_slash_names_the_right_one(admin_client):
    user = UserFactory()
    error = assert_error(admin_client.get(f"/api/users/{user.pk}"), 404, "not_found")
    assert f"Use /api/users/{user.pk}/ (with the trailing slash)." in error["message"]


def test_unknown_path_has_no_slash_hint(api_client):
    error = assert_error(api_client.post("/api/no-such-thing"), 404, "not_found")
    assert error["message"] == "No API route matches /api/no-such-thing."


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", ["/api/a%0Ab", "/api/%0A", "/api/auth/%0Alogin/"])
def test_every_api_path_even_with_a_newline_answers_the_json_404(api_client, settings, debug, path):
    # The catch-all route matches every /api/ path (a newline included), so no /api/ 404 is left to
    # Django's HTML page or to handler404, with DEBUG on or off.
    settings.DEBUG = debug
    response = api_client.get(path)
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404, "not_found")


# --- an unknown Authorization scheme says to send Bearer ---------------------------------------

@pytest.mark.parametrize("scheme", ["Token", "JWT", "bearer", "Basic"])
def test_unknown_authorization_scheme_says_to_send_bearer(client_for, scheme):
    nurse = client_for(Role.NURSE)
    token = nurse._credentials["HTTP_AUTHORIZATION"].split()[1]
    nurse.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
    response = nurse.get("/api/auth/profile/")
    error = assert_error(response, 401, "not_authenticated")
    assert "Bearer" in error["message"] and f"'{scheme}'" in error["message"]
    assert "Device" in error["message"]  # device keys: ingest only
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_device_scheme_on_a_route_that_takes_no_device_key_says_where_it_is_accepted(client_for):
    nurse = client_for(Role.NURSE)
    nurse.credentials(HTTP_AUTHORIZATION="Device some-key")
    error = assert_error(nurse.get("/api/devices/"), 401, "not_authenticated")
    assert "POST /api/records/" in error["message"] and "Bearer" in error["message"]


def test_no_authorization_header_keeps_drf_message(api_client):
    error = assert_error(api_client.get("/api/auth/profile/"), 401, "not_authenticated")
    assert error["message"] == "Authentication credentials were not provided."


def test_bearer_still_authenticates_and_public_routes_ignore_other_schemes(client_for, api_client):
    assert client_for(Role.NURSE).get("/api/auth/profile/").status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION="Token whatever")
    response = api_client.post("/api/auth/login/", {"username": "x", "password": "y"}, format="json")
    assert_error(response, 401, "invalid_credentials")


# --- OPTIONS describes what the action accepts -------------------------------------------------

def test_options_on_a_list_describes_the_create_serializer(admin_client):
    post = admin_client.options("/api/devices/").json()["actions"]["POST"]
    assert post["asset_number"]["required"] is True and post["asset_number"]["read_only"] is False
    assert post["category"]["read_only"] is False
    assert "id" not in post and "patient" not in post  # read-only fields of the read serializer


def test_options_on_a_detail_describes_the_role_s_update_serializer(client_for):
    from tests.factories.equipment import DeviceFactory

    engineer = client_for(Role.ENGINEER)
    device = DeviceFactory(assigned_engineer=engineer.user)
    actions = engineer.options(f"/api/devices/{device.id}/").json()["actions"]
    assert set(actions) == {"PUT"}
    assert set(actions["PUT"]) == {"status", "notes", "reason"}  # reason: the downtime's, with a status change
    assert actions["PUT"]["status"]["read_only"] is False


def test_options_lists_no_action_the_caller_may_not_use(client_for):
    body = client_for(Role.NURSE).options("/api/devices/").json()
    assert "POST" not in body.get("actions", {})


def test_options_on_a_custom_action_describes_its_serializer(admin_client):
    from tests.factories.equipment import DeviceFactory

    device = DeviceFactory()
    post = admin_client.options(f"/api/devices/{device.id}/change-status/").json()["actions"]["POST"]
    assert post["status"]["read_only"] is False and "choices" in post["status"]


def test_a_session_cookie_post_without_csrf_token_never_meets_django_s_csrf_page(client_for):
    # Every /api/ view is csrf-exempt (DRF views, the catch-all) and the API reads no session, so a
    # CSRF failure view under /api/ could never run: it was removed.
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.post("/api/hospitals/", {"name": "X", "kind": "hospital"}, format="json")
    assert response["Content-Type"] == "application/json"
    assert_error(response, 401, "not_authenticated")
