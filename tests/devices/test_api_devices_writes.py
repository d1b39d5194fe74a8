"""Devices: create, update (per role), category changes and delete."""

import datetime

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from devices.models import Device
from monitoring.models import Reading
from tests.factories import PatientFactory, UserFactory
from tests.factories.equipment import DeviceFactory, InventoryCheckFactory, RoomFactory, WorkOrderFactory

pytestmark = pytest.mark.django_db


# --- create and update ---------------------------------------------------------------------------

def device_body(room, engineer, nurses, **extra):
    return {"asset_number": "AST-NEW", "serial_number": "SN-1", "name": "Ventilator", "model": "V60",
            "manufacturer": "Philips", "category": "equipment", "status": "active", "hospital": room.hospital_id,
            "room": room.id, "assigned_engineer": engineer.id, "assigned_nurses": [n.id for n in nurses],
            "last_inventory_date": "2025-01-31", "notes": "New", **extra}


def test_admin_creates_a_device_with_every_field(admin_client):
    room, engineer, nurses = RoomFactory(), UserFactory(engineer=True), UserFactory.create_batch(2, nurse=True)
    response = admin_client.post("/api/devices/", device_body(room, engineer, nurses), format="json")
    assert response.status_code == 201, response.content
    device = Device.objects.get(asset_number="AST-NEW")
    assert response.json()["id"] == device.id and response.json()["assigned_nurse_names"]
    assert (device.room, device.hospital, device.assigned_engineer) == (room, room.hospital, engineer)
    assert set(device.assigned_nurses.all()) == set(nurses)
    assert device.last_inventory_date == datetime.date(2025, 1, 31) and device.patient is None


@pytest.mark.parametrize("change, field", [
    ("room_elsewhere", "room"),
    ("engineer_is_nurse", "assigned_engineer"),
    ("nurse_is_engineer", "assigned_nurses"),
    ("duplicate_asset", "asset_number"),
    ("bad_category", "category"),
    ("missing_hospital", "hospital"),
])
def test_device_create_refuses_bad_input_and_stores_nothing(admin_client, change, field):
    room, engineer, nurse = RoomFactory(), UserFactory(engineer=True), UserFactory(nurse=True)
    existing = DeviceFactory(asset_number="AST-OLD")
    body = device_body(room, engineer, [nurse])
    if change == "room_elsewhere":
        body["room"] = RoomFactory().id
    elif change == "engineer_is_nurse":
        body["assigned_engineer"] = nurse.id
    elif change == "nurse_is_engineer":
        body["assigned_nurses"] = [nurse.id, engineer.id]
    elif change == "duplicate_asset":
        body["asset_number"] = existing.asset_number
    elif change == "bad_category":
        body["category"] = "toaster"
    else:
        del body["hospital"]
    assert_error(admin_client.post("/api/devices/", body, format="json"), 400, fields=[field])
    assert list(Device.objects.all()) == [existing]


def test_admin_updates_any_field_but_not_the_patient(world):
    admin = world.clients[Role.ADMIN]
    new_room = RoomFactory(hospital=world.monitor.hospital)
    other_patient = PatientFactory()
    url = f"/api/devices/{world.monitor.id}/"
    body = {"room": new_room.id, "name": "Monitor 2", "assigned_nurses": []}
    # The patient is read-only here (assign/unassign change it): a 400 naming it, nothing stored.
    response = admin.patch(url, {**body, "patient": other_patient.id}, format="json")
    assert_error(response, 400, fields=["patient"])
    assert "assign" in response.json()["errors"]["patient"][0]
    world.monitor.refresh_from_db()
    assert world.monitor.name != "Monitor 2" and world.monitor.assigned_nurses.exists()
    # Sent back unchanged (a client PUTting what it read), it is fine.
    response = admin.patch(url, {**body, "patient": world.patient.id}, format="json")
    assert response.status_code == 200, response.content
    world.monitor.refresh_from_db()
    assert world.monitor.room == new_room and world.monitor.name == "Monitor 2"
    assert not world.monitor.assigned_nurses.exists()
    assert world.monitor.patient == world.patient  # only assign/unassign change it


def test_admin_cannot_move_a_device_to_a_room_of_another_hospital(world):
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/", {"room": world.other.room_id},
                                               format="json")
    assert_error(response, 400, fields=["room"])
    world.device.refresh_from_db()
    assert world.device.room_id != world.other.room_id


def test_engineer_updates_status_and_notes_of_own_device(world):
    response = world.clients[Role.ENGINEER].patch(f"/api/devices/{world.device.id}/",
                                                  {"status": "maintenance", "notes": "Fan noise"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "maintenance" and response.json()["assigned_engineer"] == world.engineer.id
    world.device.refresh_from_db()
    assert (world.device.status, world.device.notes) == ("maintenance", "Fan noise")


@pytest.mark.parametrize("field, value", [("name", "Renamed"), ("assigned_engineer", None), ("room", None)])
def test_engineer_may_not_change_other_fields(world, field, value):
    response = world.clients[Role.ENGINEER].patch(f"/api/devices/{world.device.id}/",
                                                  {field: value, "notes": "sneaky"}, format="json")
    assert_error(response, 400, fields=[field])
    world.device.refresh_from_db()
    assert world.device.name == "Infusion pump" and world.device.notes == ""
    assert world.device.assigned_engineer == world.engineer and world.device.room is not None


def test_engineer_cannot_revive_a_decommissioned_device_by_update(world):
    Device.objects.filter(pk=world.device.pk).update(status="decommissioned")
    response = world.clients[Role.ENGINEER].patch(f"/api/devices/{world.device.id}/", {"status": "active"},
                                                  format="json")
    assert_error(response, 409, "invalid_transition")
    world.device.refresh_from_db()
    assert world.device.status == "decommissioned"


# --- category of an assigned monitor ---------------------------------------------------------------

def test_an_assigned_monitor_cannot_become_equipment(world):
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.monitor.id}/", {"category": "equipment",
                                                                                     "name": "Renamed"},
                                               format="json")
    assert_error(response, 409, "monitor_in_use")
    world.monitor.refresh_from_db()
    assert (world.monitor.category, world.monitor.name, world.monitor.patient_id) == (
        "monitor", "Bedside monitor", world.patient.id)


def test_a_free_monitor_can_become_equipment(world):
    free = DeviceFactory(monitor=True)
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{free.id}/", {"category": "equipment"}, format="json")
    assert response.status_code == 200, response.content
    free.refresh_from_db()
    assert free.category == "equipment"


# --- delete --------------------------------------------------------------------------------------

def test_admin_deletes_a_device_without_history(world):
    InventoryCheckFactory(device=world.device)
    assert world.clients[Role.ADMIN].delete(f"/api/devices/{world.device.id}/").status_code == 204
    assert not Device.objects.filter(pk=world.device.pk).exists()


def test_device_with_work_orders_cannot_be_deleted(world):
    WorkOrderFactory(device=world.device)
    body = assert_error(world.clients[Role.ADMIN].delete(f"/api/devices/{world.device.id}/"), 409, "device_in_use")
    assert "decommission" in body["message"]
    assert Device.objects.filter(pk=world.device.pk).exists()


def test_assigned_monitor_cannot_be_deleted(world):
    assert_error(world.clients[Role.ADMIN].delete(f"/api/devices/{world.monitor.id}/"), 409, "device_in_use")
    assert Device.objects.filter(pk=world.monitor.pk, patient=world.patient).exists()


def test_device_with_readings_cannot_be_deleted(world):
    monitor = DeviceFactory(monitor=True)
    Reading.objects.create(device=monitor, patient=world.patient, bpm=72, recorded_at=timezone.now())
    assert_error(world.clients[Role.ADMIN].delete(f"/api/devices/{monitor.id}/"), 409, "device_in_use")
    assert Device.objects.filter(pk=monitor.pk).exists()
