"""Warranty and calibration: admin writes the dates, engineers may not; calibration_state is derived
(one definition shared with the filter); the list filters warranty_expiring_within and
calibration_overdue."""

import datetime

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from devices.models import Device
from tests.devices.helpers import ids
from tests.factories.equipment import DeviceFactory

pytestmark = pytest.mark.django_db


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def test_admin_records_warranty_and_calibration(world):
    body = {"warranty_expires": days(200).isoformat(), "last_calibration_date": days(-10).isoformat(),
            "next_calibration_due": days(355).isoformat()}
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/", body, format="json")
    assert response.status_code == 200, response.content
    assert {key: response.json()[key] for key in body} == body
    assert response.json()["calibration_state"] == "calibrated"
    world.device.refresh_from_db()
    assert (world.device.warranty_expires, world.device.last_calibration_date,
            world.device.next_calibration_due) == (days(200), days(-10), days(355))


@pytest.mark.parametrize("field", ["warranty_expires", "last_calibration_date", "next_calibration_due"])
def test_engineer_may_not_record_warranty_or_calibration(world, field):
    response = world.clients[Role.ENGINEER].patch(f"/api/devices/{world.device.id}/",
                                                  {field: days(5).isoformat(), "notes": "Calibrated"},
                                                  format="json")
    assert_error(response, 400, fields=[field])
    world.device.refresh_from_db()
    assert getattr(world.device, field) is None and world.device.notes == ""


@pytest.mark.parametrize("body, stored_last", [
    ({"last_calibration_date": "2026-06-01", "next_calibration_due": "2026-05-31"}, None),
    ({"next_calibration_due": "2026-01-01"}, datetime.date(2026, 3, 1)),  # against the stored last date
])
def test_next_calibration_before_the_last_is_a_400(world, body, stored_last):
    Device.objects.filter(pk=world.device.pk).update(last_calibration_date=stored_last)
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/", body, format="json")
    assert_error(response, 400, fields=["next_calibration_due"])
    world.device.refresh_from_db()
    assert (world.device.last_calibration_date, world.device.next_calibration_due) == (stored_last, None)


def test_create_refuses_next_calibration_before_the_last(admin_client, world):
    body = {"asset_number": "AST-CAL", "name": "Scale", "hospital": world.device.hospital_id,
            "last_calibration_date": "2026-06-01", "next_calibration_due": "2025-06-01"}
    assert_error(admin_client.post("/api/devices/", body, format="json"), 400, fields=["next_calibration_due"])
    assert not Device.objects.filter(asset_number="AST-CAL").exists()


def test_calibration_due_on_the_same_day_as_the_last_is_fine(world):
    body = {"last_calibration_date": days(0).isoformat(), "next_calibration_due": days(0).isoformat()}
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/", body, format="json")
    assert response.status_code == 200 and response.json()["calibration_state"] == "calibrated"


@pytest.mark.parametrize("last, next_due, state", [
    (None, None, "not_calibrated"),
    (None, -5, "not_calibrated"),  # never calibrated wins over overdue
    (-400, -1, "calibration_required"),
    (-365, 0, "calibrated"),  # due today: not yet overdue
    (-10, 100, "calibrated"),
    (-10, None, "calibrated"),
])
def test_calibration_state_is_derived_from_the_dates(world, last, next_due, state):
    Device.objects.filter(pk=world.device.pk).update(
        last_calibration_date=None if last is None else days(last),
        next_calibration_due=None if next_due is None else days(next_due))
    client = world.clients[Role.NURSE]
    assert client.get(f"/api/devices/{world.device.id}/").json()["calibration_state"] == state
    listed = {row["id"]: row for row in client.get("/api/devices/").json()["results"]}
    assert listed[world.device.id]["calibration_state"] == state
    overdue = ids(client.get("/api/devices/?calibration_overdue=true"))
    assert (world.device.id in overdue) == (next_due is not None and next_due < 0)


def test_calibration_state_cannot_be_written(world):
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/",
                                               {"calibration_state": "calibrated", "notes": "x"}, format="json")
    # Derived: a 400 naming it, and nothing stored (not even the notes).
    assert_error(response, 400, fields=["calibration_state"])
    assert response.json()["errors"]["calibration_state"] == ["This field is read-only."]
    world.device.refresh_from_db()
    assert world.device.notes != "x"


def test_calibration_overdue_filter(admin_client):
    overdue = DeviceFactory(last_calibration_date=days(-400), next_calibration_due=days(-1))
    never = DeviceFactory(next_calibration_due=days(-30))  # due date set, never calibrated: overdue too
    due_today = DeviceFactory(last_calibration_date=days(-365), next_calibration_due=days(0))
    no_date = DeviceFactory()
    assert ids(admin_client.get("/api/devices/?calibration_overdue=true")) == sorted([overdue.id, never.id])
    assert ids(admin_client.get("/api/devices/?calibration_overdue=false")) == sorted([due_today.id, no_date.id])
    assert ids(admin_client.get("/api/devices/?calibration_overdue=1")) == sorted([overdue.id, never.id])


def test_warranty_expiring_within_filter_includes_both_ends(admin_client):
    today = DeviceFactory(warranty_expires=days(0))
    last_day = DeviceFactory(warranty_expires=days(30))
    DeviceFactory(warranty_expires=days(31))
    DeviceFactory(warranty_expires=days(-1))  # already expired
    DeviceFactory()  # no warranty date
    assert ids(admin_client.get("/api/devices/?warranty_expiring_within=30")) == sorted([today.id, last_day.id])
    assert ids(admin_client.get("/api/devices/?warranty_expiring_within=0")) == [today.id]


def test_filters_stay_in_the_callers_scope(world):
    Device.objects.filter(pk__in=[world.device.pk, world.other.pk]).update(
        warranty_expires=days(3), next_calibration_due=days(-3))
    client = world.clients[Role.ENGINEER]
    assert ids(client.get("/api/devices/?warranty_expiring_within=10")) == [world.device.id]
    assert ids(client.get("/api/devices/?calibration_overdue=true")) == [world.device.id]


@pytest.mark.parametrize("query, parameter", [
    ("warranty_expiring_within=-1", "warranty_expiring_within"),
    ("warranty_expiring_within=3651", "warranty_expiring_within"),
    ("warranty_expiring_within=1.5", "warranty_expiring_within"),
    ("warranty_expiring_within=soon", "warranty_expiring_within"),
    ("calibration_overdue=maybe", "calibration_overdue"),
])
def test_bad_filter_values_are_a_400_naming_the_parameter(admin_client, query, parameter):
    DeviceFactory()
    assert_error(admin_client.get(f"/api/devices/?{query}"), 400, fields=[parameter])


def test_the_longest_window_is_accepted(admin_client):
    far = DeviceFactory(warranty_expires=days(3650))
    assert ids(admin_client.get("/api/devices/?warranty_expiring_within=3650")) == [far.id]


def test_devices_order_by_warranty_and_calibration_dates(admin_client):
    late = DeviceFactory(warranty_expires=days(90), next_calibration_due=days(1))
    soon = DeviceFactory(warranty_expires=days(10), next_calibration_due=days(50))
    rows = admin_client.get("/api/devices/?ordering=warranty_expires").json()["results"]
    assert [row["id"] for row in rows] == [soon.id, late.id]
    rows = admin_client.get("/api/devices/?ordering=next_calibration_due").json()["results"]
    assert [row["id"] for row in rows] == [late.id, soon.id]
