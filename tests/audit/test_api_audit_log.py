"""GET /api/audit-log/ and /{id}/: admins only (other roles 403, anonymous 401), newest first in
cursor pages, the entry's shape, every filter, bad filter values a 400 naming the parameter, and a
query count that does not grow with the page."""

from datetime import timedelta

import pytest

from accounts.choices import Role
from accounts.models import User
from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry
from clinical.models import Appointment
from core.testing import assert_error
from devices.models import Hospital
from tests.audit.helpers import T0, entries, entry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/audit-log/"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def all_ids():
    return list(AuditEntry.objects.order_by("-timestamp", "-id").values_list("id", flat=True))


def test_admin_reads_entries_newest_first_with_the_documented_shape(admin_client):
    doctor = UserFactory(role=Role.DOCTOR, first_name="Dana", last_name="Doctor")
    older = entry(at=T0, actor=doctor, changes={"status": ["open", "completed"], "notes": ["[redacted]"] * 2},
                  remote_addr="10.0.0.12", cid="abc123")
    newer = entry(at=T0 + timedelta(minutes=1), action=AuditAction.READ, break_glass=True)
    listed = ids(admin_client.get(URL))
    assert listed == all_ids() and listed.index(newer.pk) < listed.index(older.pk)
    body = admin_client.get(f"{URL}{older.pk}/").json()
    assert body == {
        "id": older.pk, "timestamp": "2026-03-02T09:00:00Z", "action": "update", "object_type": "clinical.patient",
        "object_id": 5, "object_repr": "patient #5", "patient": 5, "data_kind": "patient_record",
        "changes": {"status": ["open", "completed"], "notes": ["[redacted]", "[redacted]"]},
        "actor": {"id": doctor.pk, "name": "Dana Doctor", "role": "doctor"},
        "request_id": "abc123", "remote_addr": "10.0.0.12", "break_glass": False,
    }
    read = admin_client.get(f"{URL}{newer.pk}/").json()
    assert (read["action"], read["changes"], read["actor"], read["break_glass"]) == ("read", {}, None, True)


def test_the_actor_is_shown_as_they_were_when_the_entry_was_written(admin_client):
    nurse = UserFactory(role=Role.NURSE, first_name="Nico", last_name="Nurse")
    written = entry(actor=nurse)
    User.objects.filter(pk=nurse.pk).update(first_name="Renamed", role=Role.ENGINEER)
    assert admin_client.get(f"{URL}{written.pk}/").json()["actor"] == {
        "id": nurse.pk, "name": "Nico Nurse", "role": "nurse"}


@pytest.mark.parametrize("role", [role for role in Role if role != Role.ADMIN])
def test_every_other_role_is_refused_with_403(client_for, role):
    written = entry()
    client = client_for(role)
    assert_error(client.get(URL), 403)
    assert_error(client.get(f"{URL}{written.pk}/"), 403)


def test_anonymous_callers_get_401(api_client):
    written = entry()
    assert_error(api_client.get(URL), 401)
    assert_error(api_client.get(f"{URL}{written.pk}/"), 401)


def test_a_missing_entry_is_a_404(admin_client):
    assert_error(admin_client.get(f"{URL}999999/"), 404)


def test_an_api_write_is_found_by_its_request_id(admin_client):
    response = admin_client.post("/api/hospitals/", {"name": "North Hospital"}, HTTP_X_REQUEST_ID="trace-north-1")
    assert response.status_code == 201, response.content
    listed = admin_client.get(URL, {"request_id": "trace-north-1"}).json()["results"]
    assert len(listed) == 1
    (found,) = listed
    assert (found["action"], found["object_type"], found["object_id"]) == ("create", "devices.hospital",
                                                                          response.json()["id"])
    assert found["actor"]["id"] == admin_client.user.pk and found["changes"]["name"] == [None, "North Hospital"]
    assert found["data_kind"] == "equipment" and found["patient"] is None


@pytest.fixture
def varied(db):
    """Entries differing in one filtered column each, from T0 on, one minute apart."""
    doctor, nurse = UserFactory(role=Role.DOCTOR), UserFactory(role=Role.NURSE)
    made = {
        "doctor_update": entry(at=T0, actor=doctor, patient=1, cid="req-a"),
        "nurse_read": entry(at=T0 + timedelta(minutes=1), actor=nurse, patient=2, action=AuditAction.READ,
                            break_glass=True, cid="req-b"),
        "appointment": entry(at=T0 + timedelta(minutes=2), model=Appointment, actor=doctor, patient=2,
                             action=AuditAction.CREATE, data_kind=DataKind.APPOINTMENTS, cid="req-b"),
        "hospital": entry(at=T0 + timedelta(minutes=3), model=Hospital, patient=None, action=AuditAction.DELETE,
                          data_kind=DataKind.EQUIPMENT, cid="req-c"),
    }
    return doctor, nurse, made


@pytest.mark.parametrize(("params", "expected"), [
    (lambda d, n: {"actor": d.pk}, ["appointment", "doctor_update"]),
    (lambda d, n: {"actor": n.pk}, ["nurse_read"]),
    (lambda d, n: {"patient": 2}, ["appointment", "nurse_read"]),
    (lambda d, n: {"object_type": "clinical.appointment"}, ["appointment"]),
    (lambda d, n: {"object_type": "Devices.Hospital"}, ["hospital"]),
    (lambda d, n: {"action": "read"}, ["nurse_read"]),
    (lambda d, n: {"action": "delete"}, ["hospital"]),
    (lambda d, n: {"data_kind": "appointments"}, ["appointment"]),
    (lambda d, n: {"break_glass": "true", "patient": 2}, ["nurse_read"]),
    (lambda d, n: {"break_glass": "false", "patient": 2}, ["appointment"]),
    (lambda d, n: {"request_id": "req-b"}, ["appointment", "nurse_read"]),
    (lambda d, n: {"timestamp_after": "2026-03-02T09:02:00Z", "timestamp_before": "2026-03-02T09:03:00Z"},
     ["appointment"]),
    (lambda d, n: {"timestamp_before": "2026-03-02T09:01:00+00:00"}, ["doctor_update"]),
    (lambda d, n: {"actor": d.pk, "action": "create", "patient": 2}, ["appointment"]),
], ids=lambda value: None if callable(value) else "-".join(value))
def test_filters_narrow_the_log(admin_client, varied, params, expected):
    doctor, nurse, made = varied
    assert ids(admin_client.get(URL, params(doctor, nurse))) == [made[name].pk for name in expected]


@pytest.mark.parametrize(("name", "value"), [
    ("actor", "abc"), ("actor", "1.5"), ("actor", "0"), ("actor", "9" * 20),
    ("patient", "x"), ("patient", "-3"),
    ("object_type", "patient"), ("object_type", "clinical.nosuchmodel"), ("object_type", "a.b.c"),
    ("action", "destroy"), ("action", "3"),
    ("data_kind", "everything"),
    ("break_glass", "yes"), ("break_glass", "maybe"),
    ("timestamp_after", "yesterday"), ("timestamp_before", "2026-13-01T00:00:00Z"),
    ("request_id", "x" * 256),
    ("cursor", "not-a-cursor"),
])
def test_a_bad_filter_value_is_a_400_naming_it(admin_client, name, value):
    entry()
    assert_error(admin_client.get(URL, {name: value}), 400, code="validation_error", fields=[name])


def test_pages_follow_the_cursor_without_gaps_or_repeats(admin_client):
    entries(45)
    expected = all_ids()
    first = admin_client.get(URL).json()
    assert set(first) == {"count", "next", "previous", "results"} and first["previous"] is None
    assert first["count"] == len(expected)
    assert len(first["results"]) == 20
    seen, page = [], first
    while True:
        seen += [item["id"] for item in page["results"]]
        if not page["next"]:
            break
        page = admin_client.get(page["next"]).json()
    assert seen == expected
    back = admin_client.get(page["previous"]).json()
    assert [item["id"] for item in back["results"]] == expected[len(expected) - len(page["results"]) - 20:][:20]


def test_page_size_is_chosen_up_to_100(admin_client):
    entries(105)
    assert len(ids(admin_client.get(URL, {"page_size": 5}))) == 5
    assert len(ids(admin_client.get(URL, {"page_size": 500}))) == 100


def test_filters_carry_over_to_the_next_page(admin_client):
    entries(30)
    entry(action=AuditAction.DELETE)
    first = admin_client.get(URL, {"action": "read", "page_size": 25}).json()
    second = admin_client.get(first["next"]).json()
    assert len(first["results"]) == 25 and len(second["results"]) == 5
    assert {item["action"] for item in first["results"] + second["results"]} == {"read"}


@pytest.mark.parametrize("count", [3, 100])
def test_a_page_costs_three_queries_whatever_its_size(admin_client, django_assert_num_queries, count):
    entries(count, model=Appointment)
    with django_assert_num_queries(3):  # the caller, the count, the page (content types joined)
        assert len(ids(admin_client.get(URL, {"page_size": 100}))) >= count
    with django_assert_num_queries(3):
        assert len(ids(admin_client.get(URL, {"page_size": 100, "object_type": "clinical.appointment",
                                               "break_glass": "false"}))) == count


def test_ordering_by_timestamp_walks_oldest_first_through_every_page(admin_client):
    entries(25)
    expected = list(reversed(all_ids()))
    seen, page = [], admin_client.get(URL, {"ordering": "timestamp"}).json()
    while True:
        seen += [item["id"] for item in page["results"]]
        if not page["next"]:
            break
        page = admin_client.get(page["next"]).json()
    assert seen == expected
    assert ids(admin_client.get(URL, {"ordering": "-timestamp"}))[:3] == all_ids()[:3]
