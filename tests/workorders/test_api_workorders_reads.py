"""Work orders: filters, ordering, query counts and odd query parameters."""

import datetime

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from tests.devices.helpers import count_queries, ids
from tests.factories.equipment import WorkOrderFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


# --- filters and queries -------------------------------------------------------------------------

def test_work_order_filters(team):
    admin = team.clients[Role.ADMIN]
    late = WorkOrderFactory(device=team.device, priority="critical", work_type="PM",
                            due_date=TODAY() - datetime.timedelta(days=1))
    WorkOrderFactory(device=team.device, status="closed", completed_date=TODAY(),
                     due_date=TODAY() - datetime.timedelta(days=5))
    old = WorkOrderFactory(device=team.device)
    WorkOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    assert ids(admin.get("/api/workorders/?overdue=true")) == [late.id]
    assert late.id not in ids(admin.get("/api/workorders/?overdue=false"))
    assert ids(admin.get("/api/workorders/?priority=critical")) == [late.id]
    assert ids(admin.get("/api/workorders/?work_type=PM")) == [late.id]
    assert len(ids(admin.get("/api/workorders/?status=closed"))) == 1
    assert ids(admin.get(f"/api/workorders/?device={team.other.device_id}")) == [team.other.id]
    assert team.other.id not in ids(admin.get(f"/api/workorders/?assigned_to={team.engineer.id}"))
    since = (TODAY() - datetime.timedelta(days=10)).isoformat()
    assert old.id not in ids(admin.get(f"/api/workorders/?reported_from={since}"))
    assert ids(admin.get(f"/api/workorders/?reported_to={since}")) == [old.id]
    assert_error(admin.get("/api/workorders/?reported_from=yesterday"), 400, fields=["reported_from"])
    assert ids(admin.get(f"/api/workorders/?search={team.other.work_number}")) == [team.other.id]


def test_work_order_list_costs_the_same_queries_for_5_or_50(team, django_assert_max_num_queries):
    admin = team.clients[Role.ADMIN]
    small, _ = count_queries(lambda: admin.get("/api/workorders/?page_size=100"))
    WorkOrderFactory.create_batch(48)
    with django_assert_max_num_queries(small):
        response = admin.get("/api/workorders/?page_size=100")
    assert response.json()["count"] == 50 and all(o["location"] for o in response.json()["results"])


@pytest.mark.parametrize("query, field", [
    ("overdue=maybe", "overdue"),
    ("overdue=yes", "overdue"),
    ("device=99999999999999999999", "device"),
    ("device=1.5", "device"),
    ("assigned_to=99999999999999999999", "assigned_to"),
    ("assigned_to=me", "assigned_to"),
])
def test_work_order_filters_refuse_odd_values_with_400(team, query, field):
    assert_error(team.clients[Role.ENGINEER].get(f"/api/workorders/?{query}"), 400, fields=[field])


def test_detail_routes_ignore_list_filters_and_search(team):
    nurse = team.clients[Role.NURSE]
    detail = nurse.get(f"/api/workorders/{team.order.id}/?status=closed&overdue=true&search=nothing")
    assert detail.status_code == 200 and detail.json()["id"] == team.order.id
    assert nurse.get(f"/api/workorders/{team.order.id}/pdf/?search=nothing").status_code == 200
    response = nurse.patch(f"/api/workorders/{team.order.id}/?status=closed", {"description": "Louder"},
                           format="json")
    assert response.status_code == 200, response.content
    team.order.refresh_from_db()
    assert team.order.description == "Louder"


def test_ordering_by_priority_follows_urgency_not_the_alphabet(admin_client):
    for priority in ("medium", "critical", "low", "high"):
        WorkOrderFactory(priority=priority)
    urgent_first = [w["priority"] for w in admin_client.get("/api/workorders/?ordering=-priority").json()["results"]]
    assert urgent_first == ["critical", "high", "medium", "low"]
    calm_first = [w["priority"] for w in admin_client.get("/api/workorders/?ordering=priority").json()["results"]]
    assert calm_first == ["low", "medium", "high", "critical"]
