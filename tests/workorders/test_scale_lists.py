"""Work orders and spare parts at scale (issue 15): each scoped list, ordering, filter, search and
prefix filter reads an index, never the whole table (EXPLAIN, PostgreSQL; tests/devices/scale.py)."""

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
pytestmark = [POSTGRES_ONLY, pytest.mark.django_db]
LARGE = {"devices_device", "workorders_workorder", "spareparts_sparepartrequest", "maintenance_pmschedule"}


@pytest.mark.parametrize(("route", "role"), [
    ("workorders", "admin"), ("workorders", "engineer"), ("workorders", "nurse"),
    ("spareparts", "admin"), ("spareparts", "engineer"),
    ("pm-schedules", "admin"), ("pm-schedules", "engineer"),
])
def test_each_roles_list_reads_an_index(scale_data, route, role):
    # 10,000 work orders, 1,000 spare-part requests and 500 schedules here, and a handful of
    # engineers each holding a large share: a scan is often the planner's honest choice at this
    # size, so what is asserted is that an index serves each scope. The plans PostgreSQL picks by
    # itself are checked at 1/5 scale by tests/ops/test_explain_lists.py.
    index_only_planner()
    response, plans = plans_of(client_as(role), f"/api/{route}/?page_size=50")
    assert response.json()["results"], f"{route} as {role} lists nothing: the data does not exercise the scope"
    assert seq_scanned(plans, LARGE) == []


@pytest.mark.parametrize(("query", "index"), [
    ("", "workorders_created_id"),
    ("ordering=priority", "workorders_priority_rank_id"),
    ("ordering=-due_date", "workorders_due_id"),
    ("ordering=-updated_at", "workorders_updated_id"),
    ("status=open", "workorders_status_created"),
    ("device=__DEVICE__", "workorders_device_created"),
])
def test_work_order_orderings_and_filters_read_their_index(scale_data, query, index):
    from workorders.models import WorkOrder

    query = query.replace("__DEVICE__", str(WorkOrder.objects.values_list("device_id", flat=True).first()))
    _, plans = plans_of(client_as("admin"), f"/api/workorders/?page_size=50&{query}")
    assert index in indexes_used(plans)
    assert seq_scanned(plans, LARGE) == []


def test_work_order_search_reads_its_own_and_the_devices_trigram_indexes(scale_data):
    from workorders.models import WorkOrder

    index_only_planner()
    wanted = WorkOrder.objects.order_by("id").values_list("work_number", "device__asset_number")[5]
    for term, found in ((wanted[0], "work_number"), (wanted[1], "device_asset_number")):
        response, plans = plans_of(client_as("admin"), f"/api/workorders/?page_size=50&search={term}")
        assert response.json()["results"] and all(row[found] == term for row in response.json()["results"])
        used = indexes_used(plans)
        assert {"workorders_work_number_trgm", "workorders_description_trgm", "devices_asset_number_trgm",
                "devices_name_trgm"} <= used
        assert any(node["Node Type"] == "BitmapOr" for _, plan in plans for node in nodes(plan))
        assert seq_scanned(plans, LARGE) == []


@pytest.mark.parametrize(("route", "query", "index"), [
    ("workorders", "work_number=__WORK__", "workorders_work_number_prefix"),
    ("spareparts", "request_number=__REQUEST__", "spareparts_request_number_prefix"),
    ("spareparts", "search=Part 42", "spareparts_part_name_trgm"),
])
def test_prefix_filters_and_search_read_their_index(scale_data, route, query, index):
    from spareparts.models import SparePartRequest
    from workorders.models import WorkOrder

    # A prefix that ten rows have (the number but its last digit), in lower case.
    work = WorkOrder.objects.order_by("id").values_list("work_number", flat=True)[20][:-1].lower()
    request = SparePartRequest.objects.order_by("id").values_list("request_number", flat=True)[20][:-1].lower()
    query = query.replace("__WORK__", work).replace("__REQUEST__", request)
    index_only_planner()
    response, plans = plans_of(client_as("admin"), f"/api/{route}/?page_size=50&{query}")
    assert response.json()["results"]
    assert index in indexes_used(plans)
    assert seq_scanned(plans, LARGE) == []
