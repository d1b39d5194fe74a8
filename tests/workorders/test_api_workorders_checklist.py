"""Work orders: checklist results (who writes them, what they accept), closing a PM work order (every
step needs a result, a failed step opens ONE corrective work order) and completed_at."""

import datetime
import re

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from devices.choices import DeviceStatus
from tests.factories import UserFactory
from tests.factories.equipment import WorkOrderFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
STEPS = ["Check the alarm volume", "Measure the flow rate at 100 ml/h", "Inspect the power cord"]
ALL_PASSED = [{"step": step, "passed": True} for step in STEPS]


@pytest.fixture
def pm(team):
    """An in-progress PM work order with a three-step checklist on the team's device, reported by the
    team's nurse (so that she sees it) and assigned to the team's engineer."""
    return WorkOrderFactory(device=team.device, created_by=team.nurse, work_type="PM", status="in_progress",
                            checklist=STEPS, description="Quarterly PM", pm_due_date=TODAY())


def patch(client, order, body):
    return client.patch(f"/api/workorders/{order.id}/", body, format="json")


def stored(order):
    order.refresh_from_db()
    return order.checklist_results


# --- writing results -----------------------------------------------------------------------------

def test_engineer_records_results_stored_in_checklist_order(team, pm):
    body = {"checklist_results": [
        {"step": STEPS[2], "passed": False, "remark": "Insulation cracked near the plug"},
        {"step": STEPS[0], "passed": True},
    ]}
    response = patch(team.clients[Role.ENGINEER], pm, body)
    assert response.status_code == 200, response.content
    expected = [{"step": STEPS[0], "passed": True, "remark": ""},
                {"step": STEPS[2], "passed": False, "remark": "Insulation cracked near the plug"}]
    assert stored(pm) == expected
    data = response.json()
    assert data["checklist"] == STEPS and data["checklist_results"] == expected
    assert data["status"] == "in_progress" and data["follow_up"] is None and data["completed_at"] is None
    # A later write replaces the list (the client sends what it has so far).
    assert patch(team.clients[Role.ENGINEER], pm, {"checklist_results": [ALL_PASSED[1]]}).status_code == 200
    assert stored(pm) == [{"step": STEPS[1], "passed": True, "remark": ""}]


def test_results_may_be_written_while_open_too(team, pm):
    WorkOrder.objects.filter(pk=pm.pk).update(status="open")
    assert patch(team.clients[Role.ENGINEER], pm, {"checklist_results": ALL_PASSED[:1]}).status_code == 200
    assert [result["step"] for result in stored(pm)] == STEPS[:1]


def test_admin_may_write_results(team, pm):
    response = patch(team.clients[Role.ADMIN], pm, {"checklist_results": ALL_PASSED})
    assert response.status_code == 200, response.content
    assert [result["passed"] for result in stored(pm)] == [True, True, True]


def test_read_shape_shows_the_checklist_fields(team, pm):
    data = team.clients[Role.NURSE].get(f"/api/workorders/{pm.id}/").json()
    assert {"checklist", "checklist_results", "pm_schedule", "pm_due_date", "follow_up_of", "follow_up",
            "completed_at"} <= set(data)
    assert (data["checklist"], data["checklist_results"], data["pm_schedule"], data["pm_due_date"]) == (
        STEPS, [], None, TODAY().isoformat())
    # Every existing field stays.
    assert {"work_number", "device_name", "location", "technical_action", "is_overdue", "photo_url"} <= set(data)


@pytest.mark.parametrize("results, fragment", [
    ([{"step": "Polish the casing", "passed": True}], "[0] step: 'Polish the casing' is not a step"),
    ([{"step": STEPS[0], "passed": True}, {"step": STEPS[0], "passed": False}], "[1] step: 'Check the alarm volume'"
                                                                                " already has a result at [0]"),
    ([{"step": STEPS[0]}], "[0] passed: This field is required."),
    ([{"step": STEPS[0], "passed": "yes"}], "[0] passed: Must be true or false."),
    ([{"step": STEPS[0], "passed": 1}], "[0] passed: Must be true or false."),
    ([{"step": STEPS[0], "passed": None}], "[0] passed:"),
    ([{"passed": True}], "[0] step: This field is required."),
    ([{"step": STEPS[0], "passed": True}, {"step": STEPS[1], "passed": True, "remark": "x" * 501}],
     "[1] remark: Ensure this field has no more than 500 characters."),
    (["Check the alarm volume"], "[0] Invalid data. Expected a dictionary"),
    ({"step": STEPS[0], "passed": True}, "list"),
    ([{"step": STEPS[0], "passed": True}] * 51, "no more than 50"),
    # Unknown keys and wrong types are refused, not dropped or turned into text.
    ([{"step": STEPS[0], "passed": True}, {"step": STEPS[1], "passed": True, "bogus": 1}], "[1] bogus: Unknown field."),
    ([{"step": STEPS[0], "passed": True, "remark": 123}], "[0] remark: Must be a string."),
    ([{"step": STEPS[0], "passed": True, "remark": False}], "[0] remark: Must be a string."),
    ([{"step": 5, "passed": True}], "[0] step: Must be a string."),
])
def test_bad_results_are_a_400_naming_checklist_results_and_nothing_is_stored(team, pm, results, fragment):
    before = [{"step": STEPS[1], "passed": True, "remark": "ok"}]
    WorkOrder.objects.filter(pk=pm.pk).update(checklist_results=before)
    body = assert_error(patch(team.clients[Role.ENGINEER], pm, {"checklist_results": results,
                                                               "technical_action": "Half done"}),
                        400, fields=["checklist_results"])
    assert any(fragment in message for message in body["errors"]["checklist_results"]), body
    pm.refresh_from_db()
    assert pm.checklist_results == before and pm.technical_action == ""


def test_every_problem_of_a_result_is_named_at_once(team, pm):
    body = assert_error(patch(team.clients[Role.ENGINEER], pm, {"checklist_results": [
        {"step": STEPS[0], "passed": "yes", "remark": 7, "bogus": 1, "other": 2}]}), 400, fields=["checklist_results"])
    messages = body["errors"]["checklist_results"]
    for fragment in ("[0] passed: Must be true or false.", "[0] remark: Must be a string.", "[0] bogus: Unknown field.",
                     "[0] other: Unknown field."):
        assert fragment in messages, messages
    assert stored(pm) == []


def test_a_null_remark_is_stored_as_empty(team, pm):
    response = patch(team.clients[Role.ENGINEER], pm, {"checklist_results": [
        {"step": STEPS[0], "passed": True, "remark": None}]})
    assert response.status_code == 200, response.content
    assert stored(pm) == [{"step": STEPS[0], "passed": True, "remark": ""}]


def test_results_on_a_work_order_without_a_checklist_are_a_400(team):
    WorkOrder.objects.filter(pk=team.order.pk).update(status="in_progress")
    body = assert_error(patch(team.clients[Role.ENGINEER], team.order,
                              {"checklist_results": [{"step": "Anything", "passed": True}]}),
                        400, fields=["checklist_results"])
    assert "no checklist" in body["errors"]["checklist_results"][0]
    assert stored(team.order) == []


def test_nurse_may_not_send_results(team, pm):
    WorkOrder.objects.filter(pk=pm.pk).update(status="open")
    body = assert_error(patch(team.clients[Role.NURSE], pm, {"checklist_results": ALL_PASSED}), 400,
                        fields=["checklist_results"])
    assert body["errors"]["checklist_results"] == ["You may not change this field."]
    assert stored(pm) == []


def test_another_engineer_gets_404_and_other_roles_403(team, pm, client_for):
    assert_error(patch(client_for(UserFactory(engineer=True)), pm, {"checklist_results": ALL_PASSED}), 404)
    for role in (Role.DOCTOR, Role.PATIENT):
        assert_error(patch(team.clients[role], pm, {"checklist_results": ALL_PASSED}), 403)
    assert stored(pm) == []


def test_results_on_a_closed_work_order_are_a_409(team, pm):
    WorkOrder.objects.filter(pk=pm.pk).update(status="closed", completed_date=TODAY(), technical_action="Done",
                                              checklist_results=[{"step": s, "passed": True, "remark": ""}
                                                                 for s in STEPS])
    for role in (Role.ENGINEER, Role.ADMIN):
        assert_error(patch(team.clients[role], pm, {"checklist_results": ALL_PASSED[:1]}), 409, "work_order_closed")
    assert len(stored(pm)) == 3


# --- closing -------------------------------------------------------------------------------------

def test_closing_without_every_result_is_a_400_listing_the_missing_steps(team, pm):
    engineer = team.clients[Role.ENGINEER]
    patch(engineer, pm, {"checklist_results": ALL_PASSED[:1]})
    body = assert_error(patch(engineer, pm, {"status": "closed", "technical_action": "Serviced"}), 400,
                        fields=["checklist_results"])
    message = body["errors"]["checklist_results"][0]
    assert STEPS[1] in message and STEPS[2] in message and STEPS[0] not in message
    pm.refresh_from_db()
    assert (pm.status, pm.completed_date, pm.completed_at, pm.technical_action) == ("in_progress", None, None, "")
    assert not WorkOrder.objects.filter(follow_up_of=pm).exists()


def test_closing_reports_a_missing_technical_action_and_missing_results_together(team, pm):
    body = assert_error(patch(team.clients[Role.ENGINEER], pm, {"status": "closed"}), 400,
                        fields=["checklist_results", "technical_action"])
    assert all(step in body["errors"]["checklist_results"][0] for step in STEPS)
    pm.refresh_from_db()
    assert pm.status == "in_progress"


def test_results_sent_with_a_refused_close_are_not_stored(team, pm):
    # The results are fine but the close fails (no technical action): the whole PATCH rolls back.
    assert_error(patch(team.clients[Role.ENGINEER], pm, {"status": "closed", "checklist_results": ALL_PASSED}), 400,
                 fields=["technical_action"])
    pm.refresh_from_db()
    assert pm.status == "in_progress" and pm.checklist_results == []


def test_all_passed_closes_with_completed_at_and_no_follow_up(team, pm):
    before = timezone.now()
    response = patch(team.clients[Role.ENGINEER], pm, {"status": "closed", "technical_action": "Serviced",
                                                       "checklist_results": ALL_PASSED})
    assert response.status_code == 200, response.content
    pm.refresh_from_db()
    assert pm.status == "closed" and pm.completed_date == TODAY()
    assert before <= pm.completed_at <= timezone.now()
    assert response.json()["follow_up"] is None and response.json()["completed_at"] is not None
    assert WorkOrder.objects.count() == 3  # the team's two and this one: no corrective work order


def test_a_failed_step_opens_exactly_one_linked_corrective_work_order(team, pm):
    engineer = team.clients[Role.ENGINEER]
    results = [{"step": STEPS[0], "passed": True},
               {"step": STEPS[1], "passed": False, "remark": "Reads 92 ml/h"},
               {"step": STEPS[2], "passed": False}]
    response = patch(engineer, pm, {"status": "closed", "technical_action": "Serviced", "checklist_results": results})
    assert response.status_code == 200, response.content
    follow_ups = list(WorkOrder.objects.filter(follow_up_of=pm))
    assert len(follow_ups) == 1
    follow_up = follow_ups[0]
    assert response.json()["follow_up"] == follow_up.id
    assert (follow_up.work_type, follow_up.priority, follow_up.status, follow_up.device, follow_up.assigned_to,
            follow_up.created_by) == ("CM", "high", "open", team.device, team.engineer, team.engineer)
    assert follow_up.due_date == TODAY() + datetime.timedelta(days=3)  # high priority: three days
    assert re.fullmatch(r"WO-\d{6}-\d{4}", follow_up.work_number)
    assert follow_up.description == (f"Failed PM checklist on {pm.work_number}: "
                                     "Measure the flow rate at 100 ml/h; Inspect the power cord")
    assert "92 ml/h" not in follow_up.description  # remarks stay on the PM work order
    read = engineer.get(f"/api/workorders/{follow_up.id}/").json()
    assert read["follow_up_of"] == pm.id and read["follow_up"] is None
    # Closing again: 409, and still one follow-up.
    assert_error(patch(engineer, pm, {"status": "closed"}), 409, "work_order_closed")
    assert WorkOrder.objects.filter(follow_up_of=pm).count() == 1
    assert WorkOrder.objects.filter(work_type="CM", priority="high").count() == 1


def test_results_recorded_earlier_allow_closing(team, pm):
    engineer = team.clients[Role.ENGINEER]
    patch(engineer, pm, {"checklist_results": [*ALL_PASSED[:2], {"step": STEPS[2], "passed": False}]})
    patch(engineer, pm, {"technical_action": "Serviced"})
    assert patch(engineer, pm, {"status": "closed"}).status_code == 200
    assert WorkOrder.objects.filter(follow_up_of=pm).count() == 1


def test_when_the_corrective_work_order_cannot_be_created_the_close_rolls_back(team, pm):
    patch(team.clients[Role.ENGINEER], pm, {"checklist_results": [{"step": s, "passed": False} for s in STEPS]})
    from devices.models import Device

    Device.objects.filter(pk=team.device.pk).update(status=DeviceStatus.DECOMMISSIONED)
    assert_error(patch(team.clients[Role.ENGINEER], pm, {"status": "closed", "technical_action": "Serviced"}),
                 409, "device_decommissioned")
    pm.refresh_from_db()
    assert (pm.status, pm.completed_at, pm.technical_action) == ("in_progress", None, "")
    assert not WorkOrder.objects.filter(follow_up_of=pm).exists()


def test_a_plain_close_stamps_completed_at(team):
    engineer = team.clients[Role.ENGINEER]
    patch(engineer, team.order, {"status": "in_progress"})
    response = patch(engineer, team.order, {"status": "closed", "technical_action": "Fuse"})
    assert response.status_code == 200, response.content
    team.order.refresh_from_db()
    assert team.order.completed_at is not None and team.order.completed_date == timezone.localdate(
        team.order.completed_at)
    assert response.json()["completed_at"] is not None and response.json()["follow_up"] is None


# --- filters and queries -------------------------------------------------------------------------

def test_filters_by_pm_schedule_and_follow_up_of(team, pm):
    from maintenance.models import PMSchedule

    schedule = PMSchedule.objects.create(device=team.device, title="Quarterly PM", checklist=STEPS,
                                         frequency="monthly", interval=3, next_due_date=TODAY())
    WorkOrder.objects.filter(pk=pm.pk).update(pm_schedule=schedule)
    follow_up = WorkOrderFactory(device=team.device, follow_up_of=pm, priority="high")
    admin = team.clients[Role.ADMIN]
    assert [o["id"] for o in admin.get(f"/api/workorders/?pm_schedule={schedule.id}").json()["results"]] == [pm.id]
    assert [o["id"] for o in admin.get(f"/api/workorders/?follow_up_of={pm.id}").json()["results"]] == [follow_up.id]
    read = admin.get(f"/api/workorders/{pm.id}/").json()
    assert (read["pm_schedule"], read["follow_up"]) == (schedule.id, follow_up.id)
    assert_error(admin.get("/api/workorders/?pm_schedule=x"), 400, fields=["pm_schedule"])


def test_list_with_follow_ups_costs_the_same_queries(team, pm, django_assert_max_num_queries):
    from tests.devices.helpers import count_queries

    admin = team.clients[Role.ADMIN]
    WorkOrderFactory(device=team.device, follow_up_of=pm)
    small, _ = count_queries(lambda: admin.get("/api/workorders/?page_size=100"))
    for _ in range(10):
        parent = WorkOrderFactory(work_type="PM", checklist=STEPS)
        WorkOrderFactory(device=parent.device, follow_up_of=parent)
    with django_assert_max_num_queries(small):
        response = admin.get("/api/workorders/?page_size=100")
    results = response.json()["results"]
    assert len(results) == 24 and sum(1 for o in results if o["follow_up"]) == 11


# --- Swagger -------------------------------------------------------------------------------------

def test_schema_documents_checklist_results_with_examples():
    from drf_spectacular.generators import SchemaGenerator

    spec = SchemaGenerator().get_schema(request=None, public=True)
    operation = spec["paths"]["/api/workorders/{id}/"]["patch"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert any("checklist_results" in example["value"] for example in examples.values())
    result = spec["components"]["schemas"]["ChecklistResult"]
    assert set(result["properties"]) == {"step", "passed", "remark"} and set(result["required"]) == {"step", "passed"}
    read = spec["components"]["schemas"]["WorkOrder"]["properties"]
    assert {"checklist", "checklist_results", "pm_schedule", "pm_due_date", "follow_up_of", "follow_up",
            "completed_at"} <= set(read)
