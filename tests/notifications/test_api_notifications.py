"""GET /api/notifications/ (own only, newest first, ?unread=), GET /{id}/, POST /{id}/read/ and
POST /read-all/: every signed-in role, scoped to the caller; another user's id is a 404."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accounts.choices import Role
from core.testing import assert_error
from notifications.models import Notification
from tests.factories import UserFactory, user_for_role

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
URL = "/api/notifications/"


def make(user, title="Alert escalated to level 1: tachycardia, patient MRN-0000001", at=T0, read_at=None,
         kind="alert.escalated"):
    with time_machine.travel(at, tick=False):
        notification = Notification.objects.create(user=user, kind=kind, title=title, data={"alert": 1})
    if read_at is not None:
        Notification.objects.filter(pk=notification.pk).update(read_at=read_at)
        notification.refresh_from_db()
    return notification


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def other_user(db):
    return UserFactory(role=Role.NURSE)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_lists_only_its_own_newest_first(client_for, other_user, role):
    client = client_for(role)
    older = make(client.user, at=T0)
    newer = make(client.user, at=T0 + timedelta(minutes=1))
    make(other_user, at=T0 + timedelta(minutes=2))
    response = client.get(URL)
    assert ids(response) == [newer.pk, older.pk]
    body = response.json()
    assert body["count"] == 2
    assert set(body["results"][0]) == {"id", "kind", "title", "body", "data", "created_at", "read_at"}
    assert body["results"][0]["read_at"] is None


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_its_own_and_not_another_users(client_for, other_user, role):
    client = client_for(role)
    own, foreign = make(client.user), make(other_user)
    assert client.get(f"{URL}{own.pk}/").json()["id"] == own.pk
    assert_error(client.get(f"{URL}{foreign.pk}/"), 404)
    assert_error(client.post(f"{URL}{foreign.pk}/read/"), 404)
    foreign.refresh_from_db()
    assert foreign.read_at is None


def test_admins_see_only_their_own_too(admin_client, other_user):
    make(other_user)
    assert ids(admin_client.get(URL)) == []


@pytest.mark.parametrize("path", [URL, f"{URL}1/", f"{URL}1/read/", f"{URL}read-all/"])
def test_anonymous_callers_get_401(api_client, other_user, path):
    make(other_user)
    call = api_client.get if not path.endswith(("read/", "read-all/")) else api_client.post
    assert_error(call(path), 401)
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_unread_filter(client_for):
    client = client_for(Role.NURSE)
    unread = make(client.user)
    read = make(client.user, at=T0 + timedelta(minutes=1), read_at=T0 + timedelta(minutes=2))
    assert ids(client.get(URL, {"unread": "true"})) == [unread.pk]
    assert ids(client.get(URL, {"unread": "false"})) == [read.pk]
    assert ids(client.get(URL, {"unread": "1"})) == [unread.pk]
    assert ids(client.get(URL)) == [read.pk, unread.pk]


@pytest.mark.parametrize("value", ["yes", "maybe", "2"])
def test_a_bad_unread_value_is_a_400_naming_it(client_for, value):
    client = client_for(Role.NURSE)
    make(client.user)
    assert_error(client.get(URL, {"unread": value}), 400, fields=["unread"])


def test_kind_filter_search_and_ordering(client_for):
    client = client_for(Role.DOCTOR)
    first = make(client.user, title="Alert escalated to level 1: bradycardia, patient MRN-0000002", at=T0)
    second = make(client.user, title="Appointment reminder", kind="appointment.reminder",
                  at=T0 + timedelta(minutes=5))
    assert ids(client.get(URL, {"kind": "appointment.reminder"})) == [second.pk]
    assert ids(client.get(URL, {"search": "bradycardia"})) == [first.pk]
    assert ids(client.get(URL, {"ordering": "created_at"})) == [first.pk, second.pk]
    assert ids(client.get(URL, {"ordering": "-created_at"})) == [second.pk, first.pk]


def test_the_list_is_paginated(client_for):
    client = client_for(Role.ENGINEER)
    for minute in range(25):
        make(client.user, at=T0 + timedelta(minutes=minute))
    body = client.get(URL).json()
    assert body["count"] == 25 and len(body["results"]) == 20 and body["next"]
    assert len(client.get(URL, {"page": 2}).json()["results"]) == 5
    assert len(client.get(URL, {"page_size": 5}).json()["results"]) == 5


def test_list_query_count_is_flat(client_for, django_assert_max_num_queries):
    client = client_for(Role.NURSE)
    for minute in range(30):
        make(client.user, at=T0 + timedelta(minutes=minute))
    with django_assert_max_num_queries(3):  # the caller, the count, the page
        assert len(ids(client.get(URL))) == 20


def test_read_marks_it_read_now_and_is_idempotent(client_for):
    with time_machine.travel(T0, tick=False):  # the token is issued then: valid for the travels below
        client = client_for(Role.PATIENT)
    notification = make(client.user)
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        first = client.post(f"{URL}{notification.pk}/read/")
    assert first.status_code == 200, first.content
    assert first.json()["read_at"] == "2026-03-02T09:03:00Z"
    with time_machine.travel(T0 + timedelta(minutes=9), tick=False):
        again = client.post(f"{URL}{notification.pk}/read/")
    assert again.status_code == 200
    assert again.json()["read_at"] == "2026-03-02T09:03:00Z"
    notification.refresh_from_db()
    assert notification.read_at == T0 + timedelta(minutes=3)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        assert ids(client.get(URL, {"unread": "true"})) == []


def test_read_of_a_missing_id_is_a_404(client_for):
    assert_error(client_for(Role.NURSE).post(f"{URL}999999/read/"), 404)


def test_read_all_marks_only_the_callers_unread(client_for, other_user):
    with time_machine.travel(T0, tick=False):
        client = client_for(Role.NURSE)
    already = make(client.user, read_at=T0)
    mine = [make(client.user, at=T0 + timedelta(minutes=m)) for m in range(3)]
    foreign = make(other_user)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        response = client.post(f"{URL}read-all/")
    assert response.status_code == 200, response.content
    assert response.json() == {"marked": 3}
    assert set(Notification.objects.filter(pk__in=[n.pk for n in mine]).values_list("read_at", flat=True)) == {
        T0 + timedelta(minutes=10)}
    already.refresh_from_db()
    foreign.refresh_from_db()
    assert already.read_at == T0 and foreign.read_at is None
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        assert client.post(f"{URL}read-all/").json() == {"marked": 0}


def test_notify_leaves_an_in_app_notification_the_owner_lists(client_for, django_capture_on_commit_callbacks,
                                                              mailoutbox):
    from notifications.services import notify

    client = client_for(Role.DOCTOR)
    inactive = UserFactory(role=Role.NURSE, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(users=[client.user, client.user, inactive], kind="test.kind", title="Hello",
                         body="Ids only", data={"x": 1})
    assert len(created) == 1
    assert [item["title"] for item in client.get(URL).json()["results"]] == ["Hello"]
    assert [message.to for message in mailoutbox] == [[client.user.email]]


# --- Django admin: a read-only list ---------------------------------------------------------------

@pytest.fixture
def site():
    client = Client()
    client.user = UserFactory(admin=True, is_superuser=True)
    client.force_login(client.user)
    return client


def test_admin_lists_notifications_read_only(site):
    notification = make(user_for_role(Role.NURSE))
    listing = site.get("/admin/notifications/notification/")
    assert listing.status_code == 200
    assert notification.title in listing.content.decode()
    assert site.get("/admin/notifications/notification/add/").status_code == 403
    changed = site.post(f"/admin/notifications/notification/{notification.pk}/change/", {"title": "Changed"})
    assert changed.status_code == 403
    deleted = site.post(f"/admin/notifications/notification/{notification.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    notification.refresh_from_db()
    assert notification.title != "Changed"
