"""Device services where the API's own checks cannot reach: the database has the last word."""

import pytest
from rest_framework.exceptions import ValidationError

from devices import services
from devices.models import Device
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, HospitalFactory

pytestmark = pytest.mark.django_db


def test_a_lost_race_for_an_asset_number_on_create_is_a_400_naming_it():
    # The serializer's uniqueness check passed in both requests; the unique index decides.
    existing = DeviceFactory(asset_number="AST-RACE")
    with pytest.raises(ValidationError) as refused:
        services.device_create(by=UserFactory(admin=True), asset_number="AST-RACE", name="Pump",
                               hospital=HospitalFactory())
    assert "asset_number" in refused.value.detail
    assert list(Device.objects.all()) == [existing]


def test_a_lost_race_for_an_asset_number_on_update_is_a_400_naming_it():
    DeviceFactory(asset_number="AST-TAKEN")
    device = DeviceFactory(asset_number="AST-MINE", name="Pump")
    with pytest.raises(ValidationError) as refused:
        services.device_update(device=device, by=UserFactory(admin=True), asset_number="AST-TAKEN", name="Other")
    assert "asset_number" in refused.value.detail
    device.refresh_from_db()
    assert (device.asset_number, device.name) == ("AST-MINE", "Pump")
