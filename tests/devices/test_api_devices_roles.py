"""Devices: who may call which route, and which devices each role sees."""


import pytest

from accounts.choices import Role
from core.testing import assert_error
from devices.models import Device, InventoryCheck
from tests.devices.helpers import ids

pytestmark = pytest.mark.django_db


# --- who may call what ---------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, denied", [
    ("get", "/api/devices/", [Role.PATIENT]),
    ("get", "/api/devices/{id}/", [Role.PATIENT]),
    ("post", "/api/devices/", [Role.ENGINEER, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("patch", "/api/devices/{id}/", [Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("put", "/api/devices/{id}/", [Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("delete", "/api/devices/{id}/", [Role.ENGINEER, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/devices/assigned/", [Role.ADMIN, Role.DOCTOR, Role.PATIENT]),
    ("patch", "/api/devices/{id}/inventory/", [Role.ADMIN, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/devices/{id}/inventory-checks/", [Role.PATIENT]),
    ("get", "/api/devices/{id}/downtime/", [Role.PATIENT]),
    ("post", "/api/devices/{id}/change-status/", [Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("post", "/api/devices/{id}/assign/", [Role.ENGINEER, Role.PATIENT]),
    ("post", "/api/devices/{id}/unassign/", [Role.ENGINEER, Role.PATIENT]),
])
def test_roles_that_may_never_use_a_device_route_get_403(world, method, path, denied):
    for role in denied:
        response = getattr(world.clients[role], method)(path.format(id=world.monitor.id),
                                                        {"status": "inactive", "room": world.monitor.room_id},
                                                        format="json")
        assert_error(response, 403, "permission_denied")
    world.monitor.refresh_from_db()
    assert world.monitor.status == "active" and world.monitor.patient_id == world.patient.id
    assert Device.objects.count() == 3


def test_anonymous_gets_401_on_devices(api_client):
    assert_error(api_client.get("/api/devices/"), 401, "not_authenticated")


# --- scoping -------------------------------------------------------------------------------------

def test_each_role_lists_exactly_its_devices(world):
    assert ids(world.clients[Role.ADMIN].get("/api/devices/")) == sorted(
        [world.device.id, world.monitor.id, world.other.id])
    assert ids(world.clients[Role.ENGINEER].get("/api/devices/")) == sorted([world.device.id, world.monitor.id])
    assert ids(world.clients[Role.NURSE].get("/api/devices/")) == sorted([world.device.id, world.monitor.id])
    assert ids(world.clients[Role.DOCTOR].get("/api/devices/")) == [world.monitor.id]
    assert ids(world.clients[Role.ENGINEER].get("/api/devices/assigned/")) == sorted(
        [world.device.id, world.monitor.id])
    assert ids(world.clients[Role.NURSE].get("/api/devices/assigned/?category=monitor")) == [world.monitor.id]


def test_doctor_without_patients_sees_no_devices(client_for, world):
    assert ids(client_for(Role.DOCTOR).get("/api/devices/")) == []


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.NURSE, Role.DOCTOR])
@pytest.mark.parametrize("method, path", [
    ("get", "/api/devices/{id}/"), ("get", "/api/devices/{id}/inventory-checks/"),
])
def test_device_outside_scope_is_404_like_a_missing_one(world, role, method, path):
    client = world.clients[role]
    outside = assert_error(getattr(client, method)(path.format(id=world.other.id)), 404, "not_found")
    missing = assert_error(getattr(client, method)(path.format(id=999999)), 404, "not_found")
    assert outside == missing


def test_doctor_does_not_see_equipment_even_of_the_same_ward(world):
    assert_error(world.clients[Role.DOCTOR].get(f"/api/devices/{world.device.id}/"), 404)


def test_engineer_cannot_touch_another_engineers_device(world):
    client = world.clients[Role.ENGINEER]
    assert_error(client.patch(f"/api/devices/{world.other.id}/", {"notes": "x"}, format="json"), 404)
    assert_error(client.post(f"/api/devices/{world.other.id}/change-status/", format="json"), 404)
    assert_error(client.patch(f"/api/devices/{world.other.id}/inventory/", {"room": world.other.room_id},
                              format="json"), 404)
    world.other.refresh_from_db()
    assert world.other.notes == "" and world.other.status == "active"
    assert not InventoryCheck.objects.exists()
