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
