import re
from types import SimpleNamespace

import pytest
from django.db import IntegrityError
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from spareparts.models import SparePartRequest
from tests.devices.helpers import count_queries
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, SparePartRequestFactory, WorkOrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(client_for):
    """An engineer with a device, a work order on it and a pending request; another engineer's request."""
    engineer = UserFactory(engineer=True)
    device = DeviceFactory(assigned_engineer=engineer)
    order = WorkOrderFactory(device=device)
    request = SparePartRequestFactory(device=device, requested_by=engineer, work_order=order)
    other = SparePartRequestFactory()
    return SimpleNamespace(
        engineer=engineer, device=device, order=order, request=request, other=other,
        clients={Role.ADMIN: client_for(Role.ADMIN), Role.ENGINEER: client_for(engineer),
                 Role.NURSE: client_for(Role.NURSE), Role.DOCTOR: client_for(Role.DOCTOR),
                 Role.PATIENT: client_for(Role.PATIENT)},
    )


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


@pytest.mark.parametrize("method, path, denied", [
    ("get", "/api/spareparts/", [Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/spareparts/{id}/", [Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("post", "/api/spareparts/", [Role.ADMIN, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("patch", "/api/spareparts/{id}/", [Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("put", "/api/spareparts/{id}/", [Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("delete", "/api/spareparts/{id}/", [Role.ENGINEER, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("post", "/api/spareparts/{id}/approve/", [Role.ENGINEER, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("post", "/api/spareparts/{id}/reject/", [Role.ENGINEER, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
])
def test_roles_that_may_never_use_a_spare_part_route_get_403(shop, method, path, denied):
    for role in denied:
        response = getattr(shop.clients[role], method)(
            path.format(id=shop.request.id),
            {"part_name": "Changed", "quantity": 3, "device": shop.device.id}, format="json")
        assert_error(response, 403, "permission_denied")
    shop.request.refresh_from_db()
    assert (shop.request.status, shop.request.part_name, shop.request.quantity) == ("pending", "Battery pack", 2)
    assert SparePartRequest.objects.count() == 2


def test_admin_lists_all_and_engineer_their_own(shop):
    assert ids(shop.clients[Role.ADMIN].get("/api/spareparts/")) == sorted([shop.request.id, shop.other.id])
    assert ids(shop.clients[Role.ENGINEER].get("/api/spareparts/")) == [shop.request.id]


@pytest.mark.parametrize("method, path", [
    ("get", "/api/spareparts/{id}/"), ("patch", "/api/spareparts/{id}/"),
])
def test_another_engineers_request_is_404_like_a_missing_one(shop, method, path):
    client = shop.clients[Role.ENGINEER]
    outside = assert_error(getattr(client, method)(path.format(id=shop.other.id), {"quantity": 9}, format="json"),
                           404, "not_found")
    missing = assert_error(getattr(client, method)(path.format(id=999999), {"quantity": 9}, format="json"),
                           404, "not_found")
    assert outside == missing
    shop.other.refresh_from_db()
    assert shop.other.quantity == 2


def test_engineer_requests_parts_for_own_device(shop):
    response = shop.clients[Role.ENGINEER].post("/api/spareparts/", {
        "part_name": "SpO2 sensor", "description": "Frayed cable", "quantity": 4, "device": shop.device.id,
        "work_order": shop.order.id}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(rf"SPR-{timezone.now():%Y%m}-\d{{4}}", body["request_number"])
    created = SparePartRequest.objects.get(pk=body["id"])
    assert (created.part_name, created.quantity, created.device, created.work_order, created.requested_by,
            created.status) == ("SpO2 sensor", 4, shop.device, shop.order, shop.engineer, "pending")
    assert body["work_order_number"] == shop.order.work_number and body["decided_at"] is None


@pytest.mark.parametrize("change, field", [
    ("zero_quantity", "quantity"), ("negative_quantity", "quantity"), ("device_outside_scope", "device"),
    ("work_order_of_another_device", "work_order"), ("no_part_name", "part_name"), ("status_sent", "status"),
])
def test_spare_part_create_refuses_bad_input_and_stores_nothing(shop, change, field):
    body = {"part_name": "Fuse", "quantity": 1, "device": shop.device.id}
    if change == "zero_quantity":
        body["quantity"] = 0
    elif change == "negative_quantity":
        body["quantity"] = -2
    elif change == "device_outside_scope":
        body["device"] = shop.other.device_id
    elif change == "work_order_of_another_device":
        body["work_order"] = WorkOrderFactory(device=DeviceFactory(assigned_engineer=shop.engineer)).id
    elif change == "no_part_name":
        body["part_name"] = ""
    else:
        body["status"] = "approved"
    assert_error(shop.clients[Role.ENGINEER].post("/api/spareparts/", body, format="json"), 400, fields=[field])
    assert SparePartRequest.objects.count() == 2


def test_engineer_edits_own_pending_request(shop):
    response = shop.clients[Role.ENGINEER].patch(f"/api/spareparts/{shop.request.id}/",
                                                 {"quantity": 5, "work_order": None}, format="json")
    assert response.status_code == 200, response.content
    shop.request.refresh_from_db()
    assert shop.request.quantity == 5 and shop.request.work_order is None


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.ADMIN])
def test_nobody_sets_the_status_by_editing(shop, role):
    response = shop.clients[role].patch(f"/api/spareparts/{shop.request.id}/", {"status": "approved"},
                                        format="json")
    assert_error(response, 400, fields=["status"])
    shop.request.refresh_from_db()
    assert shop.request.status == "pending" and shop.request.decided_at is None


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.ADMIN])
def test_a_decided_request_cannot_be_edited(shop, role):
    SparePartRequest.objects.filter(pk=shop.request.pk).update(status="approved", decided_at=timezone.now())
    response = shop.clients[role].patch(f"/api/spareparts/{shop.request.id}/", {"quantity": 9}, format="json")
    assert_error(response, 409, "spare_part_not_pending")
    shop.request.refresh_from_db()
    assert shop.request.quantity == 2 and shop.request.status == "approved"


def test_admin_approves_with_a_note(shop):
    admin = shop.clients[Role.ADMIN]
    response = admin.post(f"/api/spareparts/{shop.request.id}/approve/", {"decision_note": "Order two"},
                          format="json")
    assert response.status_code == 200, response.content
    shop.request.refresh_from_db()
    assert shop.request.status == "approved" and shop.request.decided_by == admin.user
    assert shop.request.decision_note == "Order two"
    assert abs((timezone.now() - shop.request.decided_at).total_seconds()) < 60
    assert response.json()["decided_by"] == admin.user.id


def test_admin_rejects_without_a_note(shop):
    response = shop.clients[Role.ADMIN].post(f"/api/spareparts/{shop.request.id}/reject/")
    assert response.status_code == 200, response.content
    shop.request.refresh_from_db()
    assert shop.request.status == "rejected" and shop.request.decision_note == ""


@pytest.mark.parametrize("first, second", [("approve", "approve"), ("approve", "reject"), ("reject", "approve")])
def test_only_pending_requests_are_decided(shop, first, second):
    admin = shop.clients[Role.ADMIN]
    admin.post(f"/api/spareparts/{shop.request.id}/{first}/", {"decision_note": "first"}, format="json")
    shop.request.refresh_from_db()
    before = (shop.request.status, shop.request.decided_at, shop.request.decision_note)
    response = admin.post(f"/api/spareparts/{shop.request.id}/{second}/", {"decision_note": "second"}, format="json")
    assert_error(response, 409, "spare_part_not_pending")
    shop.request.refresh_from_db()
    assert (shop.request.status, shop.request.decided_at, shop.request.decision_note) == before


def test_admin_deletes_a_request(shop):
    assert shop.clients[Role.ADMIN].delete(f"/api/spareparts/{shop.request.id}/").status_code == 204
    assert not SparePartRequest.objects.filter(pk=shop.request.pk).exists()


def test_spare_part_filters(shop):
    admin = shop.clients[Role.ADMIN]
    SparePartRequest.objects.filter(pk=shop.other.pk).update(status="rejected", decided_at=timezone.now())
    assert ids(admin.get("/api/spareparts/?status=pending")) == [shop.request.id]
    assert ids(admin.get("/api/spareparts/?status=rejected")) == [shop.other.id]
    assert ids(admin.get(f"/api/spareparts/?device={shop.device.id}")) == [shop.request.id]
    assert ids(admin.get(f"/api/spareparts/?work_order={shop.order.id}")) == [shop.request.id]
    assert ids(admin.get("/api/spareparts/?search=battery")) == sorted([shop.request.id, shop.other.id])
    assert_error(admin.get("/api/spareparts/?status=lost"), 400, fields=["status"])


def test_spare_part_list_costs_the_same_queries_for_5_or_50(shop, django_assert_max_num_queries):
    admin = shop.clients[Role.ADMIN]
    SparePartRequestFactory.create_batch(3, work_order=shop.order, device=shop.device)
    small, _ = count_queries(lambda: admin.get("/api/spareparts/?page_size=100"))
    SparePartRequestFactory.create_batch(45)
    with django_assert_max_num_queries(small):
        response = admin.get("/api/spareparts/?page_size=100")
    assert response.json()["count"] == 50


def test_quantity_below_one_is_refused_by_the_database(shop):
    with pytest.raises(IntegrityError):
        SparePartRequestFactory(quantity=0)


@pytest.mark.parametrize("quantity", [2**31, 99999999999999999999])
def test_a_quantity_beyond_the_column_is_400_and_nothing_is_stored(shop, quantity):
    body = {"part_name": "Fuse", "quantity": quantity, "device": shop.device.id}
    assert_error(shop.clients[Role.ENGINEER].post("/api/spareparts/", body, format="json"), 400,
                 fields=["quantity"])
    assert SparePartRequest.objects.count() == 2


@pytest.mark.parametrize("query, field", [
    ("device=99999999999999999999", "device"),
    ("work_order=1.5", "work_order"),
    ("work_order=abc", "work_order"),
])
def test_spare_part_filters_refuse_odd_values_with_400(shop, query, field):
    assert_error(shop.clients[Role.ADMIN].get(f"/api/spareparts/?{query}"), 400, fields=[field])


def test_detail_routes_ignore_list_filters_and_search(shop):
    admin = shop.clients[Role.ADMIN]
    assert admin.get(f"/api/spareparts/{shop.request.id}/?status=approved&search=nothing").status_code == 200
    response = admin.post(f"/api/spareparts/{shop.request.id}/approve/?status=rejected", {}, format="json")
    assert response.status_code == 200, response.content
    shop.request.refresh_from_db()
    assert shop.request.status == "approved"
