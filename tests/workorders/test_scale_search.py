"""Work order ?search= through RelatedSearchFilter (issue 15) answers what DRF's join did: each term
in the work number, the description, or the device's asset number or name, any case; every term;
within the caller's scope. On SQLite and PostgreSQL."""

import pytest

from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, SparePartRequestFactory, WorkOrderFactory
from workorders import filters

pytestmark = pytest.mark.django_db


def numbers(response):
    assert response.status_code == 200, response.content
    return sorted(row["work_number"] for row in response.json()["results"])


@pytest.fixture
def orders():
    pump = DeviceFactory(asset_number="EQ-PUMP-7", name="Infusion pump")
    vent = DeviceFactory(asset_number="EQ-VENT-2", name="Ventilator")
    return {
        "a": WorkOrderFactory(work_number="WO-202611-0001", device=pump, description="Occlusion alarm"),
        "b": WorkOrderFactory(work_number="WO-202611-0002", device=vent, description="Battery will not charge"),
        "c": WorkOrderFactory(work_number="WO-202612-0003", device=vent, description="Pump noise from the fan"),
    }


@pytest.mark.parametrize(("term", "expected"), [
    ("wo-202611", ["WO-202611-0001", "WO-202611-0002"]),  # work number, any case
    ("BATTERY", ["WO-202611-0002"]),  # description
    ("eq-vent", ["WO-202611-0002", "WO-202612-0003"]),  # the device's asset number
    ("pump", ["WO-202611-0001", "WO-202612-0003"]),  # the device's name, or the description
    ("ventilator battery", ["WO-202611-0002"]),  # every term, each anywhere
    ("7", ["WO-202611-0001"]),  # shorter than a trigram: the join, same answer
    ("nothing-like-it", []),
])
def test_search_finds_a_term_in_the_order_or_its_device(client_for, orders, term, expected):
    assert numbers(client_for("admin").get("/api/workorders/", {"search": term})) == expected


def test_more_matching_devices_than_the_id_list_holds_gives_the_same_rows(client_for, orders, monkeypatch):
    monkeypatch.setattr(filters, "RELATED_IDS_MAX", 1)  # two devices match "eq-": the subquery path
    assert numbers(client_for("admin").get("/api/workorders/", {"search": "eq-"})) == [
        "WO-202611-0001", "WO-202611-0002", "WO-202612-0003"]
    assert numbers(client_for("admin").get("/api/workorders/", {"search": "eq- battery"})) == ["WO-202611-0002"]


def test_search_stays_within_the_callers_scope(client_for, orders):
    engineer = orders["b"].assigned_to
    # Their own work order on the ventilator; the other ventilator order (c) is also theirs only
    # if the factory gave both the device's engineer: make c someone else's.
    orders["c"].assigned_to = UserFactory(engineer=True)
    orders["c"].save(update_fields=["assigned_to"])
    assert numbers(client_for(engineer).get("/api/workorders/", {"search": "eq-vent"})) == ["WO-202611-0002"]
    assert numbers(client_for(engineer).get("/api/workorders/", {"search": "occlusion"})) == []


def test_work_number_filter_is_a_case_insensitive_prefix(client_for, orders):
    admin = client_for("admin")
    assert numbers(admin.get("/api/workorders/", {"work_number": "wo-202611"})) == ["WO-202611-0001",
                                                                                  "WO-202611-0002"]
    assert numbers(admin.get("/api/workorders/", {"work_number": "202611"})) == []  # a prefix, not a substring


def test_request_number_filter_is_a_case_insensitive_prefix(client_for):
    SparePartRequestFactory(request_number="SPR-202611-0001")
    SparePartRequestFactory(request_number="SPR-202612-0002")
    response = client_for("admin").get("/api/spareparts/", {"request_number": "spr-202611"})
    assert response.status_code == 200, response.content
    assert [row["request_number"] for row in response.json()["results"]] == ["SPR-202611-0001"]
    assert client_for("admin").get("/api/spareparts/", {"request_number": "0001"}).json()["count"] == 0
