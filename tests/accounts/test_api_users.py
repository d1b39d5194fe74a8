import re

import pytest
from django.core import mail

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from clinical.models import DoctorProfile, Patient
from core.testing import assert_error
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

NON_ADMIN_ROLES = [Role.DOCTOR, Role.NURSE, Role.ENGINEER, Role.PATIENT]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
@pytest.mark.parametrize("method, path", [
    ("get", "/api/users/"), ("post", "/api/users/"), ("get", "/api/users/{id}/"),
    ("patch", "/api/users/{id}/"), ("delete", "/api/users/{id}/"), ("post", "/api/users/{id}/approve/"),
    ("post", "/api/users/{id}/reject/"), ("get", "/api/roles/"),
])
def test_only_admins_manage_users(client_for, role, method, path):
    target = UserFactory(pending=True, role=Role.NURSE)
    client = client_for(role)
    response = getattr(client, method)(path.format(id=target.id), {}, format="json")
    assert_error(response, 403, "permission_denied")
    target.refresh_from_db()
    assert target.approval_status == ApprovalStatus.PENDING and target.first_name == "Test"


def test_anonymous_gets_401_on_users(api_client):
    assert_error(api_client.get("/api/users/"), 401, "not_authenticated")


def test_admin_lists_users_with_filters_and_alias(admin_client):
    UserFactory(nurse=True)
    UserFactory(pending=True, role=Role.ENGINEER)
    UserFactory(patient=True)
    page = admin_client.get("/api/users/").json()
    assert page["count"] == 4 and {"next", "previous", "results"} <= set(page)
    by_role = admin_client.get("/api/users/?role=nurse").json()["results"]
    assert [u["role"] for u in by_role] == ["nurse"]
    assert admin_client.get("/api/users/?type=nurse").json()["results"] == by_role
    pending = admin_client.get("/api/users/?approval_status=pending").json()["results"]
    assert [u["role"] for u in pending] == ["engineer"]
    inactive = admin_client.get("/api/users/?is_active=false").json()["results"]
    assert len(inactive) == 1
    assert_error(admin_client.get("/api/users/?role=wizard"), 400, fields=["role"])


def test_users_list_search_and_pagination(admin_client):
    UserFactory.create_batch(25)
    UserFactory(username="zelda", first_name="Zelda")
    assert [u["username"] for u in admin_client.get("/api/users/?search=zeld").json()["results"]] == ["zelda"]
    page = admin_client.get("/api/users/?page_size=10&page=2").json()
    assert page["count"] == 27 and len(page["results"]) == 10 and page["next"] and page["previous"]
    assert len(admin_client.get("/api/users/?page_size=500").json()["results"]) == 27  # capped at 100
    assert_error(admin_client.get("/api/users/?page=99"), 404)


def test_users_list_query_count_is_flat(admin_client, django_assert_max_num_queries):
    UserFactory.create_batch(3, doctor=True)
    UserFactory.create_batch(3, patient=True)
    UserFactory.create_batch(30, nurse=True, department=DepartmentFactory())
    with django_assert_max_num_queries(4):
        response = admin_client.get("/api/users/?page_size=100")
    assert len(response.json()["results"]) == 37


def test_admin_creates_user_with_invitation_code_not_password(admin_client, api_client,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/api/users/", {
            "username": "drwho", "email": "who@example.org", "role": "doctor", "first_name": "The",
            "last_name": "Doctor", "medical_license_number": "LIC-9", "specialization": "Time"}, format="json")
    assert response.status_code == 201, response.content
    user = User.objects.get(username="drwho")
    assert user.is_active and user.approval_status == ApprovalStatus.APPROVED
    assert not user.has_usable_password()
    assert response.json()["doctor_id"] == DoctorProfile.objects.get(user=user).id
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["who@example.org"] and "password:" not in message.body.lower()
    code = re.search(r"\b(\d{6})\b", message.body).group(1)
    reset = api_client.post("/api/auth/password/reset/",
                            {"email": "who@example.org", "code": code, "new_password": "Tardis-Blue-1963"},
                            format="json")
    assert reset.status_code == 200
    login = api_client.post("/api/auth/login/", {"username": "drwho", "password": "Tardis-Blue-1963"},
                            format="json")
    assert login.status_code == 200


def test_admin_created_patient_gets_record(admin_client):
    response = admin_client.post("/api/users/", {"username": "p1", "email": "p1@example.org", "role": "patient",
                                                 "first_name": "P", "last_name": "One"}, format="json")
    assert response.status_code == 201
    assert Patient.objects.get(user__username="p1").id == response.json()["patient_id"]


@pytest.mark.parametrize("body, field", [
    ({"username": "x", "email": "x@example.org"}, "role"),
    ({"username": "x", "email": "bad", "role": "nurse"}, "email"),
    ({"username": "x", "email": "x@example.org", "role": "doctor"}, "medical_license_number"),
    ({"username": "x", "email": "x@example.org", "role": "nurse", "department": 9999}, "department"),
])
def test_admin_create_bad_input(admin_client, body, field):
    assert_error(admin_client.post("/api/users/", body, format="json"), 400, fields=[field])
    assert not User.objects.filter(username="x").exists()


def test_admin_sets_department_and_cannot_change_role(admin_client):
    nurse = UserFactory(nurse=True)
    department = DepartmentFactory()
    response = admin_client.patch(f"/api/users/{nurse.id}/", {"department": department.id}, format="json")
    assert response.status_code == 200 and response.json()["department"] == department.id
    assert_error(admin_client.patch(f"/api/users/{nurse.id}/", {"role": "doctor"}, format="json"), 400,
                 fields=["role"])
    nurse.refresh_from_db()
    assert nurse.role == Role.NURSE and nurse.department == department


def test_delete_deactivates(admin_client):
    user = UserFactory()
    assert admin_client.delete(f"/api/users/{user.id}/").status_code == 204
    user.refresh_from_db()
    assert user.is_active is False


def test_admin_cannot_deactivate_self(admin_client):
    assert_error(admin_client.delete(f"/api/users/{admin_client.user.id}/"), 409)
    admin_client.user.refresh_from_db()
    assert admin_client.user.is_active


def test_unknown_user_is_404(admin_client):
    assert_error(admin_client.get("/api/users/99999/"), 404, "not_found")


def test_approve_and_reject_pending_signups(admin_client, api_client, django_capture_on_commit_callbacks):
    first, second = UserFactory(pending=True, role=Role.NURSE), UserFactory(pending=True, role=Role.ENGINEER)
    with django_capture_on_commit_callbacks(execute=True):
        approved = admin_client.post(f"/api/users/{first.id}/approve/")
        rejected = admin_client.post(f"/api/users/{second.id}/reject/", {"reason": "Unknown"}, format="json")
    assert approved.json()["approval_status"] == "approved" and approved.json()["is_active"] is True
    assert rejected.json()["approval_status"] == "rejected" and rejected.json()["is_active"] is False
    assert "Unknown" in mail.outbox[-1].body
    assert api_client.post("/api/auth/login/", {"username": first.username, "password": "Correct-Horse-42"},
                           format="json").status_code == 200


def test_deciding_twice_is_409_and_state_unchanged(admin_client):
    user = UserFactory(pending=True, role=Role.NURSE)
    admin_client.post(f"/api/users/{user.id}/approve/")
    assert_error(admin_client.post(f"/api/users/{user.id}/reject/"), 409, "not_pending")
    assert_error(admin_client.post(f"/api/users/{user.id}/approve/"), 409)
    user.refresh_from_db()
    assert user.approval_status == ApprovalStatus.APPROVED and user.is_active


def test_roles_list_counts_users(admin_client):
    UserFactory.create_batch(2, nurse=True)
    body = admin_client.get("/api/roles/").json()
    roles = {row["role"]: row for row in body["results"]}
    assert set(roles) == set(Role.values)
    assert roles["nurse"]["user_count"] == 2 and roles["admin"]["user_count"] == 1
    assert all(row["description"] for row in roles.values())


def test_createsuperuser_noinput_makes_approved_admin(monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Super-Secret-99")
    call_command("createsuperuser", "--noinput", username="root", email="root@example.org")
    user = User.objects.get(username="root")
    assert (user.role, user.approval_status, user.is_superuser) == (Role.ADMIN, ApprovalStatus.APPROVED, True)


def test_admin_cannot_deactivate_self_through_patch_either(admin_client):
    assert_error(admin_client.patch(f"/api/users/{admin_client.user.id}/", {"is_active": False}, format="json"),
                 409, "self_deactivation")
    admin_client.user.refresh_from_db()
    assert admin_client.user.is_active


def test_deactivating_through_patch_revokes_tokens(admin_client, api_client):
    user = UserFactory()
    refresh = api_client.post("/api/auth/login/", {"username": user.username, "password": "Correct-Horse-42"},
                              format="json").json()["refresh"]
    assert admin_client.patch(f"/api/users/{user.id}/", {"is_active": False}, format="json").status_code == 200
    assert_error(api_client.post("/api/auth/refresh/", {"refresh": refresh}, format="json"), 401)


def test_pending_signups_are_decided_only_through_approve_and_reject(admin_client):
    user = UserFactory(pending=True, role=Role.NURSE)
    assert_error(admin_client.patch(f"/api/users/{user.id}/", {"is_active": True}, format="json"), 400,
                 fields=["is_active"])
    assert_error(admin_client.patch(f"/api/users/{user.id}/", {"approval_status": "approved"}, format="json"), 400,
                 fields=["approval_status"])
    user.refresh_from_db()
    assert (user.is_active, user.approval_status) == (False, ApprovalStatus.PENDING)


def test_email_change_by_admin_unverifies_it(admin_client):
    user = UserFactory(email_verified=True)
    admin_client.patch(f"/api/users/{user.id}/", {"email": "new@example.org"}, format="json")
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("new@example.org", False)


def test_admin_created_through_the_api_can_use_django_admin(admin_client, client):
    admin_client.post("/api/users/", {"username": "boss", "email": "boss@example.org", "role": "admin"},
                      format="json")
    boss = User.objects.get(username="boss")
    client.force_login(boss)
    page = client.get("/admin/")
    assert page.status_code == 200 and b"/admin/accounts/user/" in page.content


def test_usernames_cannot_look_like_emails(admin_client):
    assert_error(admin_client.post("/api/users/", {"username": "a@b.org", "email": "x@example.org",
                                                   "role": "nurse"}, format="json"), 400, fields=["username"])


@pytest.mark.parametrize("query, field", [("is_active=maybe", "is_active"), ("department=abc", "department")])
def test_users_list_refuses_unreadable_filters(admin_client, query, field):
    assert_error(admin_client.get(f"/api/users/?{query}"), 400, fields=[field])


def test_roles_list_supports_search_and_ordering(admin_client):
    UserFactory.create_batch(3, nurse=True)
    assert [r["role"] for r in admin_client.get("/api/roles/?search=nurs").json()["results"]] == ["nurse"]
    ordered = [r["role"] for r in admin_client.get("/api/roles/?ordering=-user_count").json()["results"]]
    assert ordered[0] == "nurse"


def test_only_staff_belong_to_a_department(admin_client):
    department = DepartmentFactory()
    body = {"username": "p2", "email": "p2@example.org", "role": "patient", "department": department.id}
    assert_error(admin_client.post("/api/users/", body, format="json"), 400, fields=["department"])
    patient = UserFactory(patient=True)
    assert_error(admin_client.patch(f"/api/users/{patient.id}/", {"department": department.id}, format="json"),
                 400, fields=["department"])
    patient.refresh_from_db()
    assert patient.department is None and not User.objects.filter(username="p2").exists()


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_refuses_the_email_after_commit_is_logged_not_a_500(admin_client, monkeypatch, caplog):
    from kombu.exceptions import OperationalError

    from accounts import services

    def refuse(*args, **kwargs):
        raise OperationalError("broker down")

    monkeypatch.setattr(services.send_email, "delay", refuse)
    user = UserFactory(pending=True, role=Role.NURSE)
    response = admin_client.post(f"/api/users/{user.id}/approve/")
    assert response.status_code == 200 and response.json()["approval_status"] == "approved"
    user.refresh_from_db()
    assert user.is_active
    assert any("on_commit" in record.getMessage() for record in caplog.records)
