"""The account rules live in the services, so the API, the admin and jobs share them: called
directly here, they refuse with the same 400 naming the same field as the API."""
import pytest
from rest_framework.exceptions import ValidationError

from accounts import services
from accounts.choices import ApprovalStatus, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fields(excinfo):
    return set(excinfo.value.detail)


def test_user_update_keeps_the_role_and_leaves_approval_to_approve_reject():
    admin, nurse = UserFactory(admin=True), UserFactory(pending=True, role=Role.NURSE)
    with pytest.raises(ValidationError) as excinfo:
        services.user_update(user=nurse, by=admin, role=Role.DOCTOR, approval_status=ApprovalStatus.APPROVED)
    assert _fields(excinfo) == {"role", "approval_status"}
    nurse.refresh_from_db()
    assert (nurse.role, nurse.approval_status) == (Role.NURSE, ApprovalStatus.PENDING)
    # The current values are no change.
    services.user_update(user=nurse, by=admin, role=Role.NURSE, approval_status=ApprovalStatus.PENDING)


def test_password_change_and_register_check_the_password_strength():
    user = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.password_change(user=user, new_password="short")
    assert _fields(excinfo) == {"new_password"}
    with pytest.raises(ValidationError) as excinfo:
        services.user_register(username="newbie", email="newbie@example.org", password="newbie",
                               first_name="New", last_name="Bie")
    assert _fields(excinfo) == {"password"}
