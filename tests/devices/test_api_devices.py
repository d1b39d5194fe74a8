import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from devices.models import Device, InventoryCheck
from monitoring.models import Reading
from tests.devices.helpers import count_queries
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, PatientFactory, UserFactory
from tests.factories.equipment import (
    DeviceFactory,
    HospitalFactory,
    InventoryCheckFactory,
    RoomFactory,
    WorkOrderFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client_for):
    """An engineer and a nurse with one device each in scope, a doctor whose patient has a monitor
    (also the engineer's and nurse's), and another engineer's device outside everyone's scope."""
    department = DepartmentFactory()
    engineer = UserFactory(engineer=True)
    nurse = UserFactory(nurse=True, department=department)
    doctor = UserFactory(doctor=True)
    patient = PatientFactory(department=department)
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    device = DeviceFactory(assigned_engineer=engineer, assigned_nurses=[nurse])
    monitor = DeviceFactory(monitor=True, assigned_engineer=engineer, assigned_nurses=[nurse], patient=patient,
                            hospital=device.hospital, room=device.room)
    other = DeviceFactory(assigned_nurses=[UserFactory(nurse=True)])
    return SimpleNamespace(
        engineer=engineer, nurse=nurse, doctor=doctor, patient=patient, device=device, monitor=monitor,
        other=other,
        clients={Role.ADMIN: client_for(Role.ADMIN), Role.ENGINEER: client_for(engineer),
                 Role.NURSE: client_for(nurse), Role.DOCTOR: client_for(doctor),
                 Role.PATIENT: client_for(Role.PATIENT)},
    )


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


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
    response = admin.patch(f"/api/devices/{world.monitor.id}/", {
        "room": new_room.id, "name": "Monitor 2", "assigned_nurses": [], "patient": other_patient.id,
    }, format="json")
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


def test_inventory_checks_follow_ordering(world):
    now = timezone.now()
    new = InventoryCheckFactory(device=world.device, checked_at=now)
    old = InventoryCheckFactory(device=world.device, checked_at=now - datetime.timedelta(days=30))  # higher id
    url = f"/api/devices/{world.device.id}/inventory-checks/"
    client = world.clients[Role.ENGINEER]
    assert [c["id"] for c in client.get(url).json()["results"]] == [new.id, old.id]
    assert [c["id"] for c in client.get(f"{url}?ordering=checked_at").json()["results"]] == [old.id, new.id]
    assert [c["id"] for c in client.get(f"{url}?ordering=-id").json()["results"]] == [old.id, new.id]


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
