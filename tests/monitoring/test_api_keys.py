import hashlib

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from monitoring.models import DeviceApiKey, Reading
from tests.factories.equipment import DeviceFactory
from tests.factories.monitoring import monitored_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(admin_client):
    patient, monitor = monitored_patient()
    response = admin_client.post(f"/api/devices/{monitor.id}/api-keys/", {"name": "bed 4"}, format="json")
    assert response.status_code == 201, response.content
    return patient, monitor, response.json()


def device_client(api_client, key):
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    return api_client


def reading(**fields):
    return {"bpm": 75, "recorded_at": timezone.now().isoformat(), **fields}


def test_issue_shows_the_key_once_and_stores_only_its_hash(issued, admin_client):
    _patient, monitor, body = issued
    key = DeviceApiKey.objects.get()
    assert body["key"] and body["prefix"] == body["key"][:8] and body["name"] == "bed 4"
    assert key.key_hash == hashlib.sha256(body["key"].encode()).hexdigest()
    assert body["key"] not in {key.prefix, key.key_hash, key.name}
    listing = admin_client.get(f"/api/devices/{monitor.id}/api-keys/").json()
    assert listing["count"] == 1 and "key" not in listing["results"][0]
    assert listing["results"][0]["prefix"] == body["prefix"]


def test_device_key_posts_for_its_assigned_patient(issued, api_client):
    patient, monitor, body = issued
    client = device_client(api_client, body["key"])
    response = client.post("/api/records/", reading(), format="json")
    assert response.status_code == 201, response.content
    stored = Reading.objects.get()
    assert (stored.device, stored.patient) == (monitor, patient)
    assert DeviceApiKey.objects.get().last_used_at is not None


def test_device_key_cannot_post_for_another_patient_or_device(issued, api_client):
    _patient, _monitor, body = issued
    other_patient, other_monitor = monitored_patient()
    client = device_client(api_client, body["key"])
    assert_error(client.post("/api/records/", reading(patient=other_patient.id), format="json"), 403)
    assert_error(client.post("/api/records/", reading(device=other_monitor.id), format="json"), 403)
    assert not Reading.objects.exists()


def test_device_key_can_use_no_other_route(issued, api_client):
    patient, monitor, body = issued
    client = device_client(api_client, body["key"])
    for path in (f"/api/records/{patient.id}/", "/api/alerts/", f"/api/devices/{monitor.id}/",
                 "/api/auth/profile/", f"/api/devices/{monitor.id}/api-keys/"):
        assert_error(client.get(path), 401)


def test_revoked_or_unknown_key_is_401(issued, admin_client, api_client):
    _patient, monitor, body = issued
    key_id = body["id"]
    assert admin_client.delete(f"/api/devices/{monitor.id}/api-keys/{key_id}/").status_code == 204
    assert DeviceApiKey.objects.get().revoked_at is not None
    assert_error(device_client(api_client, body["key"]).post("/api/records/", reading(), format="json"), 401)
    assert_error(device_client(api_client, "made-up").post("/api/records/", reading(), format="json"), 401)
    assert not Reading.objects.exists()


def test_revoke_all_keys_of_a_device(issued, admin_client):
    _patient, monitor, _body = issued
    admin_client.post(f"/api/devices/{monitor.id}/api-keys/", {}, format="json")
    assert admin_client.delete(f"/api/devices/{monitor.id}/api-keys/").status_code == 204
    assert not DeviceApiKey.objects.active().exists()


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.ENGINEER, Role.PATIENT])
def test_only_admins_manage_keys(client_for, role):
    monitor = DeviceFactory(monitor=True)
    client = client_for(role)
    assert_error(client.get(f"/api/devices/{monitor.id}/api-keys/"), 403)
    assert_error(client.post(f"/api/devices/{monitor.id}/api-keys/", {}, format="json"), 403)
    assert not DeviceApiKey.objects.exists()


def test_keys_of_a_missing_device_are_404(admin_client):
    assert_error(admin_client.post("/api/devices/999999/api-keys/", {}, format="json"), 404)
    assert_error(admin_client.delete("/api/devices/999999/api-keys/1/"), 404)


def test_only_monitors_get_ingest_keys(admin_client):
    pump = DeviceFactory()
    assert_error(admin_client.post(f"/api/devices/{pump.id}/api-keys/", {}, format="json"), 400, "not_a_monitor",
                 fields=["device"])
    assert not DeviceApiKey.objects.exists()
