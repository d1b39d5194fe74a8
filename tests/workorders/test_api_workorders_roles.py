"""Work orders: who may call which route, and which work orders each role sees."""


import pytest

from accounts.choices import Role
from core.testing import assert_error
from tests.devices.helpers import ids
from tests.factories import UserFactory
from tests.factories.equipment import WorkOrderFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


# --- who may call what ---------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, denied", [
    ("get", "/api/workorders/", [Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/workorders/{id}/", [Role.DOCTOR, Role.PATIENT]),
    ("post", "/api/workorders/", [Role.ADMIN, Role.DOCTOR, Role.PATIENT]),
    ("patch", "/api/workorders/{id}/", [Role.DOCTOR, Role.PATIENT]),
    ("put", "/api/workorders/{id}/", [Role.DOCTOR, Role.PATIENT]),
    ("delete", "/api/workorders/{id}/", [Role.ENGINEER, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/workorders/{id}/pdf/", [Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/workorders/{id}/photo/", [Role.DOCTOR, Role.PATIENT]),
])
def test_roles_that_may_never_use_a_work_order_route_get_403(team, method, path, denied):
    for role in denied:
        response = getattr(team.clients[role], method)(
            path.format(id=team.order.id),
            {"device": team.device.id, "description": "x", "work_type": "CM", "priority": "low", "status": "closed"},
            format="json")
        assert_error(response, 403, "permission_denied")
    team.order.refresh_from_db()
    assert team.order.status == "open" and team.order.description == "Alarm does not stop"
    assert WorkOrder.objects.count() == 2


def test_each_role_lists_exactly_its_work_orders(team):
    mine_as_engineer = WorkOrderFactory(device=team.device, created_by=UserFactory(nurse=True))
    assert ids(team.clients[Role.ADMIN].get("/api/workorders/")) == sorted(
        [team.order.id, team.other.id, mine_as_engineer.id])
    assert ids(team.clients[Role.ENGINEER].get("/api/workorders/")) == sorted([team.order.id, mine_as_engineer.id])
    assert ids(team.clients[Role.NURSE].get("/api/workorders/")) == [team.order.id]


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.NURSE])
@pytest.mark.parametrize("method, path", [
    ("get", "/api/workorders/{id}/"), ("patch", "/api/workorders/{id}/"), ("get", "/api/workorders/{id}/pdf/"),
    ("get", "/api/workorders/{id}/photo/"),
])
def test_work_order_outside_scope_is_404_like_a_missing_one(team, role, method, path):
    client = team.clients[role]
    outside = assert_error(getattr(client, method)(path.format(id=team.other.id), {"description": "x"},
                                                   format="json"), 404, "not_found")
    missing = assert_error(getattr(client, method)(path.format(id=999999), {"description": "x"}, format="json"),
                           404, "not_found")
    assert outside == missing
    team.other.refresh_from_db()
    assert team.other.description == "Alarm does not stop"
