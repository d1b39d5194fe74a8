"""Work orders: updates per role and the status flow to closed."""

import datetime

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from tests.factories import UserFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


# --- updates and the status flow -----------------------------------------------------------------

def patch(client, order, body):
    return client.patch(f"/api/workorders/{order.id}/", body, format="json")


def test_engineer_moves_the_work_order_to_closed(team):
    engineer = team.clients[Role.ENGINEER]
    assert patch(engineer, team.order, {"status": "in_progress"}).json()["status"] == "in_progress"
    response = patch(engineer, team.order, {"status": "closed", "technical_action": "Replaced the fuse"})
    assert response.status_code == 200, response.content
    team.order.refresh_from_db()
    assert team.order.status == "closed" and team.order.technical_action == "Replaced the fuse"
    assert team.order.completed_date == TODAY()
    assert response.json()["completed_date"] == TODAY().isoformat()


def test_closing_needs_a_technical_action(team):
    engineer = team.clients[Role.ENGINEER]
    patch(engineer, team.order, {"status": "in_progress"})
    assert_error(patch(engineer, team.order, {"status": "closed"}), 400, fields=["technical_action"])
    assert_error(patch(engineer, team.order, {"status": "closed", "technical_action": "  "}), 400,
                 fields=["technical_action"])
    team.order.refresh_from_db()
    assert team.order.status == "in_progress" and team.order.completed_date is None


def test_technical_action_recorded_earlier_allows_closing(team):
    engineer = team.clients[Role.ENGINEER]
    patch(engineer, team.order, {"status": "in_progress"})
    patch(engineer, team.order, {"technical_action": "Cleaned the sensor"})
    assert patch(engineer, team.order, {"status": "closed"}).status_code == 200
    team.order.refresh_from_db()
    assert team.order.status == "closed" and team.order.technical_action == "Cleaned the sensor"


def test_open_cannot_jump_to_closed(team):
    response = patch(team.clients[Role.ENGINEER], team.order, {"status": "closed", "technical_action": "Done"})
    assert_error(response, 409, "invalid_transition")
    team.order.refresh_from_db()
    assert team.order.status == "open" and team.order.technical_action == ""


def test_in_progress_cannot_go_back_to_open(team):
    WorkOrder.objects.filter(pk=team.order.pk).update(status="in_progress")
    assert_error(patch(team.clients[Role.ADMIN], team.order, {"status": "open"}), 409, "invalid_transition")
    team.order.refresh_from_db()
    assert team.order.status == "in_progress"


@pytest.mark.parametrize("role, body", [
    (Role.ENGINEER, {"status": "in_progress"}), (Role.ENGINEER, {"technical_action": "More"}),
    (Role.ADMIN, {"description": "Edited"}), (Role.ADMIN, {"status": "open"}),
    (Role.NURSE, {"description": "Edited"}),
])
def test_closed_is_final(team, role, body):
    WorkOrder.objects.filter(pk=team.order.pk).update(status="closed", completed_date=TODAY(),
                                                      technical_action="Fixed")
    assert_error(patch(team.clients[role], team.order, body), 409)
    team.order.refresh_from_db()
    assert (team.order.status, team.order.technical_action, team.order.description) == (
        "closed", "Fixed", "Alarm does not stop")


@pytest.mark.parametrize("field, value", [("description", "x"), ("priority", "critical"), ("assigned_to", None)])
def test_engineer_may_only_change_status_and_technical_action(team, field, value):
    assert_error(patch(team.clients[Role.ENGINEER], team.order, {field: value}), 400, fields=[field])
    team.order.refresh_from_db()
    assert team.order.description == "Alarm does not stop" and team.order.priority == "medium"
    assert team.order.assigned_to == team.engineer


def test_nurse_edits_the_description_while_open_only(team):
    nurse = team.clients[Role.NURSE]
    assert patch(nurse, team.order, {"description": "Alarm and smoke"}).status_code == 200
    team.order.refresh_from_db()
    assert team.order.description == "Alarm and smoke"
    assert_error(patch(nurse, team.order, {"status": "in_progress"}), 400, fields=["status"])
    WorkOrder.objects.filter(pk=team.order.pk).update(status="in_progress")
    assert_error(patch(nurse, team.order, {"description": "Too late"}), 409, "work_order_not_open")
    team.order.refresh_from_db()
    assert team.order.description == "Alarm and smoke"


def test_admin_edits_any_field_including_assignment(team):
    new_engineer = UserFactory(engineer=True)
    due = TODAY() + datetime.timedelta(days=2)
    response = patch(team.clients[Role.ADMIN], team.order, {
        "assigned_to": new_engineer.id, "priority": "critical", "due_date": due.isoformat(),
        "description": "Rewritten", "status": "in_progress"})
    assert response.status_code == 200, response.content
    team.order.refresh_from_db()
    assert (team.order.assigned_to, team.order.priority, team.order.due_date, team.order.description,
            team.order.status) == (new_engineer, "critical", due, "Rewritten", "in_progress")
    # The previous engineer no longer sees it; the new one does.
    assert_error(team.clients[Role.ENGINEER].get(f"/api/workorders/{team.order.id}/"), 404)


def test_admin_cannot_assign_a_work_order_to_a_nurse(team):
    assert_error(patch(team.clients[Role.ADMIN], team.order, {"assigned_to": team.nurse.id}), 400,
                 fields=["assigned_to"])
    team.order.refresh_from_db()
    assert team.order.assigned_to == team.engineer
