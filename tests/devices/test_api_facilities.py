import pytest

from accounts.choices import Role
from core.testing import assert_error
from devices.models import Hospital, Room
from tests.factories.equipment import DeviceFactory, HospitalFactory, RoomFactory

pytestmark = pytest.mark.django_db

NON_ADMIN = [Role.DOCTOR, Role.NURSE, Role.ENGINEER, Role.PATIENT]


@pytest.mark.parametrize("role", [*NON_ADMIN, Role.ADMIN])
def test_every_role_reads_hospitals_and_rooms(client_for, role):
    room = RoomFactory(number="101", name="ICU", floor=2)
    client = client_for(role)
    hospitals = client.get("/api/hospitals/").json()
    assert hospitals["count"] == 1
    assert hospitals["results"][0].items() >= {"name": room.hospital.name, "kind": "hospital"}.items()
    assert client.get(f"/api/hospitals/{room.hospital_id}/").json()["id"] == room.hospital_id
    detail = client.get(f"/api/rooms/{room.id}/").json()
    assert detail == {"id": room.id, "hospital": room.hospital_id, "hospital_name": room.hospital.name,
                      "number": "101", "name": "ICU", "floor": 2}


def test_anonymous_gets_401_on_hospitals(api_client):
    assert_error(api_client.get("/api/hospitals/"), 401, "not_authenticated")


@pytest.mark.parametrize("role", NON_ADMIN)
@pytest.mark.parametrize("method, path", [
    ("post", "/api/hospitals/"), ("patch", "/api/hospitals/{hospital}/"), ("delete", "/api/hospitals/{hospital}/"),
    ("post", "/api/rooms/"), ("patch", "/api/rooms/{room}/"), ("delete", "/api/rooms/{room}/"),
])
def test_only_admins_write_facilities(client_for, role, method, path):
    room = RoomFactory(name="Ward")
    response = getattr(client_for(role), method)(
        path.format(hospital=room.hospital_id, room=room.id), {"name": "Changed", "hospital": room.hospital_id,
                                                               "number": "X"}, format="json")
    assert_error(response, 403, "permission_denied")
    assert Hospital.objects.get().name == room.hospital.name
    assert Room.objects.get().name == "Ward"


def test_admin_creates_updates_and_deletes_a_hospital(admin_client):
    response = admin_client.post("/api/hospitals/", {"name": "St. Mary", "kind": "clinic", "address": "2 Road",
                                                     "phone": "123"}, format="json")
    assert response.status_code == 201, response.content
    hospital = Hospital.objects.get(name="St. Mary")
    assert hospital.kind == "clinic" and hospital.address == "2 Road"
    assert admin_client.patch(f"/api/hospitals/{hospital.id}/", {"phone": "456"}, format="json").status_code == 200
    hospital.refresh_from_db()
    assert hospital.phone == "456"
    assert admin_client.delete(f"/api/hospitals/{hospital.id}/").status_code == 204
    assert not Hospital.objects.exists()


def test_hospital_name_is_unique_and_kind_is_checked(admin_client):
    HospitalFactory(name="General")
    assert_error(admin_client.post("/api/hospitals/", {"name": "General"}, format="json"), 400, fields=["name"])
    assert_error(admin_client.post("/api/hospitals/", {"name": "Other", "kind": "spa"}, format="json"), 400,
                 fields=["kind"])
    assert Hospital.objects.count() == 1


def test_hospital_with_devices_cannot_be_deleted(admin_client):
    device = DeviceFactory()
    assert_error(admin_client.delete(f"/api/hospitals/{device.hospital_id}/"), 409)
    assert Hospital.objects.filter(pk=device.hospital_id).exists()


def test_admin_creates_room_and_number_is_unique_within_a_hospital(admin_client):
    hospital, other = HospitalFactory(), HospitalFactory()
    body = {"hospital": hospital.id, "number": "12", "name": "Lab"}
    assert admin_client.post("/api/rooms/", body, format="json").status_code == 201
    room = Room.objects.get()
    assert (room.hospital, room.number, room.floor) == (hospital, "12", None)
    assert_error(admin_client.post("/api/rooms/", body, format="json"), 400, fields=["number"])
    assert admin_client.post("/api/rooms/", {**body, "hospital": other.id}, format="json").status_code == 201
    assert Room.objects.count() == 2
    assert_error(admin_client.post("/api/rooms/", {"number": "13"}, format="json"), 400, fields=["hospital"])


def test_rooms_filter_by_hospital_and_search(admin_client):
    first = RoomFactory(number="A1", name="Radiology")
    RoomFactory(number="B2", name="Surgery")
    ids = [r["id"] for r in admin_client.get(f"/api/rooms/?hospital={first.hospital_id}").json()["results"]]
    assert ids == [first.id]
    assert [r["number"] for r in admin_client.get("/api/rooms/?search=surg").json()["results"]] == ["B2"]


def test_room_with_devices_cannot_be_deleted(admin_client):
    device = DeviceFactory()
    assert_error(admin_client.delete(f"/api/rooms/{device.room_id}/"), 409)
    assert Room.objects.filter(pk=device.room_id).exists()


def test_a_room_holding_devices_cannot_move_to_another_hospital(admin_client):
    device = DeviceFactory()
    elsewhere = HospitalFactory()
    response = admin_client.patch(f"/api/rooms/{device.room_id}/", {"hospital": elsewhere.id, "name": "Moved"},
                                  format="json")
    assert_error(response, 409, "room_in_use")
    room = Room.objects.get(pk=device.room_id)
    assert (room.hospital_id, room.name) == (device.hospital_id, "Ward")


def test_an_empty_room_moves_to_another_hospital(admin_client):
    room, elsewhere = RoomFactory(), HospitalFactory()
    response = admin_client.patch(f"/api/rooms/{room.id}/", {"hospital": elsewhere.id}, format="json")
    assert response.status_code == 200, response.content
    room.refresh_from_db()
    assert room.hospital == elsewhere


def test_a_room_keeps_its_number_unique_when_it_moves(admin_client):
    room, taken = RoomFactory(number="7"), RoomFactory(number="7")
    response = admin_client.patch(f"/api/rooms/{room.id}/", {"hospital": taken.hospital_id}, format="json")
    assert_error(response, 400, fields=["number"])
    room.refresh_from_db()
    assert room.hospital_id != taken.hospital_id


@pytest.mark.parametrize("floor", [40000, -40000, "second"])
def test_a_floor_out_of_range_is_400_and_nothing_is_stored(admin_client, floor):
    hospital = HospitalFactory()
    response = admin_client.post("/api/rooms/", {"hospital": hospital.id, "number": "9", "floor": floor},
                                 format="json")
    assert_error(response, 400, fields=["floor"])
    assert not Room.objects.exists()


@pytest.mark.parametrize("value", ["99999999999999999999", "1.5", "x"])
def test_rooms_hospital_filter_refuses_what_is_not_an_id(admin_client, value):
    assert_error(admin_client.get(f"/api/rooms/?hospital={value}"), 400, fields=["hospital"])
