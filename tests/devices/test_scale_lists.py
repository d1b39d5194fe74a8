"""Devices at scale (issue 15): each scoped list, ordering, search and prefix filter reads an index,
never the whole table (EXPLAIN, PostgreSQL); and the filters that the indexes serve (both databases)."""

import pytest

from tests.devices.scale import (
    POSTGRES_ONLY,
    client_as,
    index_only_planner,
    indexes_used,
    nodes,
    plans_of,
    scale_data,
    seq_scanned,
)

__all__ = ["scale_data"]  # the module fixture, used by name
# The nurse assignments (5,500 rows here, 25 pages) are small enough at this scale that reading them
# whole is the planner's honest choice for the page's nurse names; the nurse scope's own use of
# them is checked by index name.
DEVICES = {"devices_device"}


@POSTGRES_ONLY
@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "engineer", "nurse", "doctor"])
def test_each_roles_list_reads_devices_through_an_index(scale_data, role):
    index_only_planner()  # an index serves each scope (the planner's own choice: tests/ops/test_explain_lists.py)
    response, plans = plans_of(client_as(role), "/api/devices/?page_size=50")
    assert response.json()["results"], f"{role} sees no device: the data does not exercise the scope"
    assert seq_scanned(plans, DEVICES) == []
    if role == "nurse":  # from her assignments (user_id's index) to the devices by primary key
        assert any(name.startswith("devices_device_assigned_nurses_user_id") for name in indexes_used(plans))


@POSTGRES_ONLY
@pytest.mark.django_db
@pytest.mark.parametrize(("query", "index"), [
    ("ordering=-created_at", "devices_created_id"),
    ("ordering=name", "devices_name_id"),
    ("ordering=-next_calibration_due", "devices_calibration_id"),
    ("ordering=warranty_expires", "devices_warranty_id"),
    ("ordering=last_inventory_date", "devices_inventory_id"),
    ("room=__ROOM__", "devices_room_asset"),
])
def test_orderings_and_filters_read_their_index(scale_data, query, index):
    from devices.models import Device

    query = query.replace("__ROOM__", str(Device.objects.exclude(room=None).values_list("room_id", flat=True)[0]))
    _, plans = plans_of(client_as("admin"), f"/api/devices/?page_size=50&{query}")
    assert index in indexes_used(plans)
    assert seq_scanned(plans, DEVICES) == []


@POSTGRES_ONLY
@pytest.mark.django_db
def test_search_is_a_bitmap_or_over_the_trigram_indexes(scale_data):
    index_only_planner()
    response, plans = plans_of(client_as("admin"), "/api/devices/?page_size=50&search=EQ-00012")
    assert {row["asset_number"] for row in response.json()["results"]} == {f"EQ-00012{n}" for n in range(10)}
    used = indexes_used(plans)
    for column in ("asset_number", "serial_number", "name", "model", "manufacturer"):
        assert f"devices_{column}_trgm" in used
    assert any(node["Node Type"] == "BitmapOr" for _, plan in plans for node in nodes(plan))
    assert seq_scanned(plans, DEVICES) == []


@POSTGRES_ONLY
@pytest.mark.django_db
def test_identifier_prefix_filters_read_the_pattern_index(scale_data):
    index_only_planner()
    response, plans = plans_of(client_as("admin"), "/api/devices/?page_size=50&asset_number=eq-00003")
    assert {row["asset_number"] for row in response.json()["results"]} == {f"EQ-00003{n}" for n in range(10)}
    assert "devices_asset_number_prefix" in indexes_used(plans)
    assert seq_scanned(plans, DEVICES) == []
