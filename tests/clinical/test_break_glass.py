"""Break-glass grants: who may post one, what a grant is, re-posting, revoking, the list and its
filters, the notifications (to whom, and without the reason), and the admin's revoke action."""
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.choices import Role
from clinical.models import BreakGlassGrant
from core.testing import assert_error
from notifications.models import Notification
from tests.clinical.break_glass import REASON, expire, grant, outside_patient
from tests.factories import PatientDoctorMappingFactory, PatientFactory, UserFactory, user_for_role
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db


def _post(client, patient, body):
    return client.post(f"/api/patients/{patient.pk}/break-glass/", body, format="json")


# --- posting a grant ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE])
def test_doctor_or_nurse_gets_a_grant_for_the_configured_minutes(client_for, role, settings):
    settings.BREAK_GLASS_MINUTES = 30
    client, patient = client_for(role), outside_patient()
    before = timezone.now()
    response = _post(client, patient, {"reason": f"  {REASON}  "})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "patient", "user", "reason", "created_at", "expires_at", "revoked_at", "revoked_by",
                         "is_live"}
    assert body["patient"] == patient.pk and body["reason"] == REASON and body["is_live"] is True
    assert body["user"] == {"id": client.user.pk, "name": client.user.get_full_name(), "role": role}
    assert body["revoked_at"] is None and body["revoked_by"] is None
    stored = BreakGlassGrant.objects.get(pk=body["id"])
    assert stored.user == client.user and stored.reason == REASON
    assert before <= stored.created_at and stored.expires_at - stored.created_at == timedelta(minutes=30)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PATIENT, Role.ENGINEER])
def test_other_roles_may_not_break_glass(client_for, role):
    assert_error(_post(client_for(role), outside_patient(), {"reason": REASON}), 403)
    assert not BreakGlassGrant.objects.exists()


def test_anonymous_caller_is_401(api_client):
    assert _post(api_client, outside_patient(), {"reason": REASON}).status_code == 401


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   help   "}, {"reason": "too short"},
                                  {"reason": 1234567890123}, {"reason": None}])
def test_a_missing_or_short_reason_is_400_naming_it_and_nothing_is_stored(doctor_client, body):
    assert_error(_post(doctor_client, outside_patient(), body), 400, fields=["reason"])
    assert not BreakGlassGrant.objects.exists() and not Notification.objects.exists()


def test_a_grant_cannot_be_posted_with_its_own_expiry(doctor_client):
    body = {"reason": REASON, "expires_at": "2099-01-01T00:00:00Z"}
    assert_error(_post(doctor_client, outside_patient(), body), 400, fields=["expires_at"])
    assert not BreakGlassGrant.objects.exists()


def test_a_missing_or_archived_patient_is_404(doctor_client):
    assert_error(doctor_client.post("/api/patients/999999/break-glass/", {"reason": REASON}, format="json"), 404)
    assert_error(_post(doctor_client, outside_patient(is_archived=True), {"reason": REASON}), 404)
    assert not BreakGlassGrant.objects.exists()


def test_a_patient_already_in_care_needs_no_grant(nurse_client, department):
    patient = PatientFactory(department=department)
    assert_error(_post(nurse_client, patient, {"reason": REASON}), 409, "already_in_care")
    assert not BreakGlassGrant.objects.exists() and not Notification.objects.exists()


def test_posting_again_makes_a_second_grant_and_never_extends_the_first(doctor_client):
    patient = outside_patient()
    first = grant(doctor_client, patient)
    second = grant(doctor_client, patient, reason="Second look: the lab results came in")
    first_after = BreakGlassGrant.objects.get(pk=first.pk)
    assert second.pk != first.pk and second.expires_at > first.expires_at
    assert (first_after.expires_at, first_after.reason, first_after.revoked_at) == (first.expires_at, REASON, None)
    assert second.reason == "Second look: the lab results came in"


# --- notifications -----------------------------------------------------------------------------

def test_the_patients_doctors_and_active_admins_are_told_at_once_without_the_reason(doctor_client):
    patient = PatientFactory(department=None)
    mapped = PatientDoctorMappingFactory(patient=patient).doctor.user
    booked = AppointmentFactory(patient=patient).doctor.user
    admins = [UserFactory(admin=True), UserFactory(admin=True)]
    UserFactory(admin=True, is_active=False)
    bystanders = [user_for_role(Role.DOCTOR), user_for_role(Role.NURSE), patient_user := UserFactory(patient=True)]
    PatientDoctorMappingFactory(patient=patient_user.patient_record)  # another patient's doctor: not told

    created = grant(doctor_client, patient)

    told = Notification.objects.filter(kind="break_glass")
    assert {n.user_id for n in told} == {mapped.pk, booked.pk, *(a.pk for a in admins)}
    assert not told.filter(user__in=[*bystanders, doctor_client.user]).exists()
    for notification in told:
        text = f"{notification.title} {notification.body} {notification.data}"
        assert patient.medical_record_number in notification.title
        assert notification.body.startswith(f"{doctor_client.user.get_full_name()} (doctor) opened")  # who, by name
        assert REASON not in text and "emergency room" not in text
        assert patient.first_name not in text and patient.last_name not in text
        assert notification.data == {"grant": created.pk, "patient": patient.pk,
                                     "medical_record_number": patient.medical_record_number,
                                     "user": doctor_client.user.pk, "role": Role.DOCTOR,
                                     "expires_at": created.expires_at.isoformat()}


def test_the_emails_carry_no_reason(doctor_client, django_capture_on_commit_callbacks):
    patient = outside_patient()
    UserFactory(admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        grant(doctor_client, patient)
    assert len(mail.outbox) == 2  # the mapped doctor and the admin
    assert all(REASON not in message.body and REASON not in message.subject for message in mail.outbox)


# --- the list and one grant --------------------------------------------------------------------

@pytest.fixture
def grants(doctor_client, nurse_client):
    """Two of the doctor's (one expired), one of the nurse's, one of another doctor's (revoked)."""
    first, second = outside_patient(), outside_patient()
    mine = grant(doctor_client, first)
    old = grant(doctor_client, second)
    expire(old)
    nurses = grant(nurse_client, first)
    other = BreakGlassGrant.objects.create(user=user_for_role(Role.DOCTOR), patient=second, reason=REASON,
                                           expires_at=timezone.now() + timedelta(hours=1),
                                           revoked_at=timezone.now())
    return {"mine": mine, "old": old, "nurses": nurses, "other": other, "first": first, "second": second}


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_admin_lists_every_grant_newest_first_and_staff_their_own(admin_client, doctor_client, nurse_client,
                                                                  grants):
    everyone = _ids(admin_client.get("/api/break-glass/"))
    assert everyone == [grants[k].pk for k in ("other", "nurses", "mine", "old")]  # "old" began 5 hours ago
    assert _ids(doctor_client.get("/api/break-glass/")) == [grants["mine"].pk, grants["old"].pk]
    assert _ids(nurse_client.get("/api/break-glass/")) == [grants["nurses"].pk]
    body = admin_client.get("/api/break-glass/?page_size=1").json()
    assert body["count"] == 4 and len(body["results"]) == 1 and body["next"]


def test_filters_patient_user_live_and_ordering(admin_client, doctor_client, grants):
    first = grants["first"].pk
    assert set(_ids(admin_client.get(f"/api/break-glass/?patient={first}"))) == {grants["mine"].pk,
                                                                                grants["nurses"].pk}
    assert _ids(admin_client.get(f"/api/break-glass/?user={grants['nurses'].user_id}")) == [grants["nurses"].pk]
    assert set(_ids(admin_client.get("/api/break-glass/?live=true"))) == {grants["mine"].pk, grants["nurses"].pk}
    assert set(_ids(admin_client.get("/api/break-glass/?live=false"))) == {grants["old"].pk, grants["other"].pk}
    assert _ids(doctor_client.get("/api/break-glass/?live=false")) == [grants["old"].pk]
    assert _ids(admin_client.get("/api/break-glass/?ordering=id"))[0] == grants["mine"].pk
    assert _ids(admin_client.get("/api/break-glass/?ordering=expires_at"))[0] == grants["old"].pk
    assert _ids(admin_client.get("/api/break-glass/?patient=999999")) == []
    mrn = grants["second"].medical_record_number
    assert set(_ids(admin_client.get(f"/api/break-glass/?search={mrn}"))) == {grants["old"].pk, grants["other"].pk}
    assert_error(admin_client.get("/api/break-glass/?live=maybe"), 400, fields=["live"])
    assert_error(admin_client.get("/api/break-glass/?patient=abc"), 400, fields=["patient"])


@pytest.mark.parametrize("role", [Role.PATIENT, Role.ENGINEER])
def test_patients_and_engineers_may_not_list_or_read_grants(client_for, grants, role):
    client = client_for(role)
    assert_error(client.get("/api/break-glass/"), 403)
    assert_error(client.get(f"/api/break-glass/{grants['mine'].pk}/"), 403)


def test_one_grant_in_scope_and_anothers_is_404(admin_client, doctor_client, nurse_client, grants):
    body = doctor_client.get(f"/api/break-glass/{grants['mine'].pk}/").json()
    assert body["id"] == grants["mine"].pk and body["is_live"] is True
    assert doctor_client.get(f"/api/break-glass/{grants['old'].pk}/").json()["is_live"] is False
    assert_error(doctor_client.get(f"/api/break-glass/{grants['nurses'].pk}/"), 404)
    assert_error(nurse_client.get(f"/api/break-glass/{grants['mine'].pk}/"), 404)
    assert admin_client.get(f"/api/break-glass/{grants['nurses'].pk}/").status_code == 200


def test_the_list_is_flat_in_queries(admin_client, doctor_client, django_assert_max_num_queries):
    for _ in range(3):
        grant(doctor_client, outside_patient())
    with django_assert_max_num_queries(3):  # the caller, the count, the page (users joined)
        admin_client.get("/api/break-glass/")
    for _ in range(10):
        grant(doctor_client, outside_patient())
    with django_assert_max_num_queries(3):
        assert len(_ids(admin_client.get("/api/break-glass/"))) == 13


# --- revoking ----------------------------------------------------------------------------------

def test_admin_revokes_a_live_grant_and_twice_is_409(admin_client, doctor_client):
    created = grant(doctor_client, outside_patient())
    response = admin_client.post(f"/api/break-glass/{created.pk}/revoke/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["is_live"] is False and body["revoked_at"]
    assert body["revoked_by"] == {"id": admin_client.user.pk, "name": admin_client.user.get_full_name(),
                                  "role": Role.ADMIN}
    created.refresh_from_db()
    first_revoked_at = created.revoked_at
    assert created.revoked_by == admin_client.user and not created.is_live
    assert_error(admin_client.post(f"/api/break-glass/{created.pk}/revoke/"), 409, "grant_not_live")
    created.refresh_from_db()
    assert created.revoked_at == first_revoked_at


def test_an_expired_grant_cannot_be_revoked(admin_client, doctor_client):
    created = grant(doctor_client, outside_patient())
    expire(created)
    assert_error(admin_client.post(f"/api/break-glass/{created.pk}/revoke/"), 409, "grant_not_live")
    created.refresh_from_db()
    assert created.revoked_at is None and created.revoked_by is None


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.PATIENT, Role.ENGINEER])
def test_only_admins_revoke(client_for, doctor_client, role):
    created = grant(doctor_client, outside_patient())
    caller = doctor_client if role == Role.DOCTOR else client_for(role)  # the holder themself, for a doctor
    assert_error(caller.post(f"/api/break-glass/{created.pk}/revoke/"), 403)
    created.refresh_from_db()
    assert created.revoked_at is None


@pytest.mark.parametrize("body", [{"revoked_at": "2020-01-01T00:00:00Z"}, {"foo": 1}])
def test_a_revoke_takes_no_body_and_a_key_sent_is_400_naming_it(admin_client, doctor_client, body):
    created = grant(doctor_client, outside_patient())
    assert_error(admin_client.post(f"/api/break-glass/{created.pk}/revoke/", body, format="json"), 400,
                 fields=list(body))
    created.refresh_from_db()
    assert created.revoked_at is None and created.is_live


def test_a_revoke_with_a_body_that_is_not_json_is_refused(admin_client, doctor_client):
    created = grant(doctor_client, outside_patient())
    response = admin_client.post(f"/api/break-glass/{created.pk}/revoke/", "not json", content_type="application/json")
    assert_error(response, 400, "parse_error")
    created.refresh_from_db()
    assert created.revoked_at is None


@pytest.mark.parametrize(("role", "expected"), [(Role.DOCTOR, 200), (Role.NURSE, 200), (Role.PATIENT, 403),
                                                (Role.ADMIN, 403), (Role.ENGINEER, 403)])
def test_options_on_the_break_glass_route_answers_for_that_route_alone(client_for, role, expected):
    response = client_for(role).options(f"/api/patients/{outside_patient().pk}/break-glass/")
    assert response.status_code == expected, response.content
    if expected == 200:
        assert "POST" in response["Allow"]


def test_revoking_a_missing_grant_is_404(admin_client):
    assert_error(admin_client.post("/api/break-glass/999999/revoke/"), 404)


# --- admin: a second door with the same rules ----------------------------------------------------

def test_admin_site_shows_grants_read_only_and_revokes_through_the_service(client, doctor_client):
    superuser = UserFactory(admin=True, is_superuser=True)
    client.force_login(superuser)
    live, ended = grant(doctor_client, outside_patient()), grant(doctor_client, outside_patient())
    expire(ended)
    assert client.get("/admin/clinical/breakglassgrant/").status_code == 200
    assert client.get(f"/admin/clinical/breakglassgrant/{live.pk}/change/").status_code == 200
    assert client.get("/admin/clinical/breakglassgrant/add/").status_code == 403
    assert client.post(f"/admin/clinical/breakglassgrant/{live.pk}/delete/", {"post": "yes"}).status_code == 403
    response = client.post("/admin/clinical/breakglassgrant/",
                           {"action": "revoke_grants", "_selected_action": [live.pk, ended.pk]}, follow=True)
    assert response.status_code == 200
    live.refresh_from_db()
    ended.refresh_from_db()
    assert live.revoked_by == superuser and live.revoked_at is not None
    assert ended.revoked_at is None  # refused by the service (expired), reported, unchanged
    messages = [str(m) for m in response.context["messages"]]
    assert any("expired" in m for m in messages) and any("1 done" in m for m in messages)


def test_an_unrelated_slot_doctor_is_not_told(doctor_client):
    patient = outside_patient()
    TimeSlotFactory()  # a doctor with a free slot, no appointment with the patient
    grant(doctor_client, patient)
    assert Notification.objects.filter(kind="break_glass").count() == 1  # the mapped doctor only


def test_the_read_audits_grant_sql_says_what_live_says(doctor_client):
    """clinical.models.access.LiveGrantPatients writes live() out as SQL: the two never disagree."""
    from django.db import connection

    from clinical.models.access import LiveGrantPatients

    live, expired, revoked, anothers = (grant(doctor_client, outside_patient()) for _ in range(4))
    expire(expired)
    BreakGlassGrant.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    BreakGlassGrant.objects.filter(pk=anothers.pk).update(user=user_for_role(Role.NURSE))
    with connection.cursor() as cursor:
        cursor.execute(*LiveGrantPatients(doctor_client.user).sql_with_params())
        by_sql = {patient_id for (patient_id,) in cursor.fetchall()}
    assert by_sql == set(BreakGlassGrant.objects.patient_ids_for(doctor_client.user).values_list(
        "patient_id", flat=True)) == {live.patient_id}
