"""Devices: change-status and inventory checks."""

import datetime

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from devices.models import Device, InventoryCheck
from tests.factories.equipment import InventoryCheckFactory, RoomFactory

pytestmark = pytest.mark.django_db


# --- change-status -------------------------------------------------------------------------------

def test_change_status_toggles_active_and_inactive(world):
    client, url = world.clients[Role.ENGINEER], f"/api/devices/{world.device.id}/change-status/"
    assert client.post(url).json()["status"] == "inactive"
    world.device.refresh_from_db()
    assert world.device.status == "inactive"
    assert client.post(url, {}, format="json").json()["status"] == "active"
    world.device.refresh_from_db()
    assert world.device.status == "active"


def test_change_status_sets_a_given_status(world):
    response = world.clients[Role.ADMIN].post(f"/api/devices/{world.device.id}/change-status/",
                                              {"status": "maintenance"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "maintenance"
    world.device.refresh_from_db()
    assert world.device.status == "maintenance"


def test_change_status_refuses_an_unknown_status(world):
    response = world.clients[Role.ADMIN].post(f"/api/devices/{world.device.id}/change-status/",
                                              {"status": "exploded"}, format="json")
    assert_error(response, 400, fields=["status"])
    world.device.refresh_from_db()
    assert world.device.status == "active"


def test_engineer_decommissions_but_cannot_toggle_back(world):
    client, url = world.clients[Role.ENGINEER], f"/api/devices/{world.device.id}/change-status/"
    assert client.post(url, {"status": "decommissioned"}, format="json").status_code == 200
    assert_error(client.post(url), 409, "invalid_transition")
    assert_error(client.post(url, {"status": "active"}, format="json"), 409, "invalid_transition")
    world.device.refresh_from_db()
    assert world.device.status == "decommissioned"


def test_admin_may_recommission_a_device(world):
    Device.objects.filter(pk=world.device.pk).update(status="decommissioned")
    response = world.clients[Role.ADMIN].post(f"/api/devices/{world.device.id}/change-status/")
    assert response.status_code == 200 and response.json()["status"] == "active"


def test_setting_the_current_status_is_a_conflict(world):
    response = world.clients[Role.ADMIN].post(f"/api/devices/{world.device.id}/change-status/",
                                              {"status": "active"}, format="json")
    assert_error(response, 409, "invalid_transition")


def test_an_assigned_monitor_cannot_be_decommissioned(world):
    response = world.clients[Role.ENGINEER].post(f"/api/devices/{world.monitor.id}/change-status/",
                                                 {"status": "decommissioned"}, format="json")
    assert_error(response, 409, "monitor_in_use")
    world.monitor.refresh_from_db()
    assert world.monitor.status == "active"


# --- inventory -----------------------------------------------------------------------------------

def test_inventory_check_moves_the_device_and_records_the_check(world):
    old_room = world.device.room
    new_room = RoomFactory(hospital=world.device.hospital, number="B-7")
    response = world.clients[Role.ENGINEER].patch(f"/api/devices/{world.device.id}/inventory/",
                                                  {"room": new_room.id}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["room"] == new_room.id
    assert response.json()["last_inventory_date"] == timezone.localdate().isoformat()
    world.device.refresh_from_db()
    assert world.device.room == new_room and world.device.last_inventory_date == timezone.localdate()
    check = InventoryCheck.objects.get()
    assert (check.device, check.checked_by, check.from_room, check.to_room) == (
        world.device, world.engineer, old_room, new_room)


@pytest.mark.parametrize("body", [{}, {"room": 999999}, "elsewhere"])
def test_inventory_check_refuses_a_bad_room(world, body):
    if body == "elsewhere":
        body = {"room": world.other.room_id}
    response = world.clients[Role.ENGINEER].patch(f"/api/devices/{world.device.id}/inventory/", body,
                                                  format="json")
    assert_error(response, 400, fields=["room"])
    world.device.refresh_from_db()
    assert world.device.last_inventory_date is None and not InventoryCheck.objects.exists()


def test_inventory_checks_are_listed_newest_first_and_scoped(world):
    now = timezone.now()
    old = InventoryCheckFactory(device=world.device, checked_at=now - datetime.timedelta(days=30))
    new = InventoryCheckFactory(device=world.device, checked_at=now)
    InventoryCheckFactory(device=world.other)
    page = world.clients[Role.NURSE].get(f"/api/devices/{world.device.id}/inventory-checks/").json()
    assert page["count"] == 2 and [c["id"] for c in page["results"]] == [new.id, old.id]
    assert page["results"][0]["checked_by"] == world.engineer.id
    assert page["results"][0]["to_room_name"] == str(world.device.room)
    paged = world.clients[Role.ADMIN].get(f"/api/devices/{world.device.id}/inventory-checks/?page_size=1").json()
    assert len(paged["results"]) == 1 and paged["next"]


def test_inventory_checks_follow_ordering(world):
    now = timezone.now()
    new = InventoryCheckFactory(device=world.device, checked_at=now)
    old = InventoryCheckFactory(device=world.device, checked_at=now - datetime.timedelta(days=30))  # higher id
    url = f"/api/devices/{world.device.id}/inventory-checks/"
    client = world.clients[Role.ENGINEER]
    assert [c["id"] for c in client.get(url).json()["results"]] == [new.id, old.id]
    assert [c["id"] for c in client.get(f"{url}?ordering=checked_at").json()["results"]] == [old.id, new.id]
    assert [c["id"] for c in client.get(f"{url}?ordering=-id").json()["results"]] == [old.id, new.id]
