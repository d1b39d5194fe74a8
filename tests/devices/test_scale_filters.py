"""The filters the scale indexes serve, and the nurse scope rewritten as `pk IN` (issue 15): the
same answers on SQLite and PostgreSQL."""

import pytest

from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory

pytestmark = pytest.mark.django_db


def asset_numbers(response):
    assert response.status_code == 200, response.content
    return sorted(row["asset_number"] for row in response.json()["results"])


def test_asset_and_serial_number_filters_are_case_insensitive_prefixes(client_for):
    DeviceFactory(asset_number="EQ-0012", serial_number="SN-AB-1")
    DeviceFactory(asset_number="eq-0019", serial_number="sn-ab-2")
    DeviceFactory(asset_number="XEQ-0012", serial_number="X-SN-AB")
    admin = client_for("admin")
    assert asset_numbers(admin.get("/api/devices/?asset_number=Eq-001")) == ["EQ-0012", "eq-0019"]
    assert asset_numbers(admin.get("/api/devices/?serial_number=SN-ab")) == ["EQ-0012", "eq-0019"]
    assert asset_numbers(admin.get("/api/devices/?asset_number=0012")) == []  # a prefix, not a substring
    assert asset_numbers(admin.get("/api/devices/?asset_number=EQ_0")) == []  # `_` is no wildcard


def test_a_nurse_lists_each_of_her_devices_once(client_for):
    nurse, colleague = UserFactory(nurse=True), UserFactory(nurse=True)
    shared = DeviceFactory(asset_number="N-1", assigned_nurses=[nurse, colleague])
    DeviceFactory(asset_number="N-2", assigned_nurses=[nurse])
    DeviceFactory(asset_number="N-3", assigned_nurses=[colleague])
    body = client_for(nurse).get("/api/devices/").json()
    assert body["count"] == 2
    assert [row["asset_number"] for row in body["results"]] == ["N-1", "N-2"]
    assert sorted(next(row for row in body["results"] if row["id"] == shared.id)["assigned_nurses"]) == sorted(
        [nurse.id, colleague.id])
