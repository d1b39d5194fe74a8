"""Devices: detail, filters, search, query counts and odd query parameters."""


import pytest

from accounts.choices import Role
from core.testing import assert_error
from devices.models import Device
from tests.devices.helpers import count_queries, ids
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, HospitalFactory, RoomFactory

pytestmark = pytest.mark.django_db


# --- detail, filters, search, query counts -------------------------------------------------------

def test_device_detail_shows_notes_patient_and_display_names(world):
    world.nurse.first_name, world.nurse.last_name = "Florence", "N"
    world.nurse.save()
    Device.objects.filter(pk=world.monitor.pk).update(notes="Check the leads")
    body = world.clients[Role.NURSE].get(f"/api/devices/{world.monitor.id}/").json()
    assert body["notes"] == "Check the leads"
    assert body["patient"] == world.patient.id
    assert body["room"] == world.monitor.room_id and body["room_name"] == str(world.monitor.room)
    assert body["assigned_engineer"] == world.engineer.id
    assert body["assigned_engineer_name"] == world.engineer.get_full_name()
    assert body["assigned_nurses"] == [world.nurse.id] and body["assigned_nurse_names"] == ["Florence N"]
    assert body["hospital_name"] == world.monitor.hospital.name
    assert body["category"] == "monitor" and body["status"] == "active"


def test_device_filters_and_search(world, admin_client):
    admin = world.clients[Role.ADMIN]
    Device.objects.filter(pk=world.other.pk).update(status="maintenance", serial_number="ZX-42",
                                                    manufacturer="Globex")
    assert ids(admin.get("/api/devices/?status=maintenance")) == [world.other.id]
    assert ids(admin.get("/api/devices/?category=monitor")) == [world.monitor.id]
    assert ids(admin.get(f"/api/devices/?hospital={world.other.hospital_id}")) == [world.other.id]
    assert ids(admin.get(f"/api/devices/?room={world.device.room_id}")) == sorted([world.device.id, world.monitor.id])
    assert ids(admin.get(f"/api/devices/?assigned_engineer={world.engineer.id}")) == sorted(
        [world.device.id, world.monitor.id])
    assert ids(admin.get(f"/api/devices/?patient={world.patient.id}")) == [world.monitor.id]
    assert ids(admin.get("/api/devices/?search=zx-4")) == [world.other.id]
    assert ids(admin.get("/api/devices/?search=globex")) == [world.other.id]
    assert ids(admin.get(f"/api/devices/?search={world.device.asset_number}")) == [world.device.id]
    assert_error(admin.get("/api/devices/?status=broken"), 400, fields=["status"])
    names = [d["asset_number"] for d in admin.get("/api/devices/?ordering=-asset_number").json()["results"]]
    assert names == sorted(names, reverse=True)


def test_device_list_costs_the_same_queries_for_5_or_50_devices(admin_client, django_assert_max_num_queries):
    hospital = HospitalFactory()

    def make(count):
        for _ in range(count):
            DeviceFactory(hospital=hospital, room=RoomFactory(hospital=hospital),
                          assigned_nurses=UserFactory.create_batch(2, nurse=True))

    make(5)
    small, response = count_queries(lambda: admin_client.get("/api/devices/?page_size=100"))
    assert len(response.json()["results"]) == 5
    make(45)
    with django_assert_max_num_queries(small):
        response = admin_client.get("/api/devices/?page_size=100")
    assert len(response.json()["results"]) == 50
    assert all(len(d["assigned_nurse_names"]) == 2 and d["room_name"] for d in response.json()["results"])
    assert small <= 5


# --- odd query parameters --------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/devices/", "/api/devices/assigned/"])
@pytest.mark.parametrize("param", ["hospital", "room", "assigned_engineer", "patient"])
@pytest.mark.parametrize("value", ["99999999999999999999", "1.5", "abc"])
def test_id_filters_refuse_what_is_not_an_id_with_400(world, path, param, value):
    response = world.clients[Role.ENGINEER].get(f"{path}?{param}={value}")
    assert_error(response, 400, "validation_error", fields=[param])


def test_id_filters_take_whole_numbers(world):
    response = world.clients[Role.ADMIN].get(f"/api/devices/?hospital={world.other.hospital_id}")
    assert ids(response) == [world.other.id]


def test_detail_routes_ignore_list_filters_search_and_ordering(world):
    # List parameters describe rows of a list: a detail route finds its object unfiltered.
    engineer = world.clients[Role.ENGINEER]
    detail = engineer.get(f"/api/devices/{world.device.id}/?status=decommissioned&search=nothing&hospital=x")
    assert detail.status_code == 200 and detail.json()["id"] == world.device.id
    response = engineer.post(f"/api/devices/{world.device.id}/change-status/?status=inactive&search=nothing",
                             {"status": "maintenance"}, format="json")
    assert response.status_code == 200, response.content
    world.device.refresh_from_db()
    assert world.device.status == "maintenance"
    checks = engineer.get(f"/api/devices/{world.device.id}/inventory-checks/?search=nothing&status=inactive")
    assert checks.status_code == 200
