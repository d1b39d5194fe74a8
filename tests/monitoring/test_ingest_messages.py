"""A single reading's errors use plain field names; a batch's name the item (docs/monitoring.md)."""

import pytest
from django.utils import timezone

from core.testing import assert_error
from monitoring.models import Reading
from tests.factories.monitoring import monitored_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def device_client(admin_client, api_client):
    _patient, monitor = monitored_patient()
    key = admin_client.post(f"/api/devices/{monitor.id}/api-keys/", {"name": "bed"}, format="json").json()["key"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    return api_client


def reading(**fields):
    return {"bpm": 75, "recorded_at": timezone.now().isoformat(), **fields}


@pytest.mark.parametrize("field", ["patient", "device"])
def test_single_reading_refused_for_a_device_key_names_the_plain_field(device_client, field):
    other_patient, other_monitor = monitored_patient()
    other = {"patient": other_patient.id, "device": other_monitor.id}[field]
    error = assert_error(device_client.post("/api/records/", reading(**{field: other}), format="json"), 403,
                         "permission_denied")
    assert "Item" not in error["message"]
    assert list(error["errors"]) == [field] and "Item" not in error["errors"][field][0]
    assert not Reading.objects.exists()


def test_batch_reading_refused_for_a_device_key_names_the_item(device_client):
    other_patient, _ = monitored_patient()
    body = [reading(), reading(patient=other_patient.id)]
    error = assert_error(device_client.post("/api/records/", body, format="json"), 403, "permission_denied")
    assert error["message"].startswith("Item 1: ")
    assert list(error["errors"]) == ["items[1].patient"]
    assert not Reading.objects.exists()
