"""PM schedule input rules from the black-box review: checklist items are JSON strings (named by
index), every field's errors come in one answer (the checklist's with the others), next_due_date at
most 10 years ahead, the schema shows the checklist's bounds; Django admin answers the API's
messages for interval / lead_days and its generate action reports every non-zero count."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from devices.dates import years_after
from maintenance.admin import report_message
from maintenance.models import PMSchedule
from maintenance.services import generate_pm_workorders
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory
from tests.maintenance.factories import PMScheduleFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

URL = "/api/pm-schedules/"


def body(device, **overrides):
    data = {"device": device.pk, "title": "Safety check", "checklist": ["Inspect the cord", "Test the alarms"],
            "frequency": "monthly", "next_due_date": timezone.localdate().isoformat()}
    data.update(overrides)
    return data


@pytest.fixture
def admin(client_for):
    return client_for(Role.ADMIN)


@pytest.mark.parametrize("checklist, fragment", [
    ([1, 2], "[0] Must be a string."),
    (["Inspect", True], "[1] Must be a string."),
    (["Inspect", {"step": "x"}], "[1] Must be a string."),
    (["Inspect", "   "], "[1] This field may not be blank."),
    (["Inspect", "x" * 301], "[1] Ensure this field has no more than 300 characters."),
    (["Inspect", " inspect "], "[1] 'inspect' repeats step [0]"),
    ([], "1 to 50 steps"),
    ("Inspect", "list"),
])
def test_checklist_items_are_strings_named_by_index(admin, checklist, fragment):
    response = admin.post(URL, body(DeviceFactory(), checklist=checklist), format="json")
    errors = assert_error(response, 400, fields=["checklist"])["errors"]
    assert any(fragment in message for message in errors["checklist"]), errors
    assert not PMSchedule.objects.exists()


def test_checklist_errors_come_with_the_other_field_errors(admin):
    response = admin.post(URL, body(DeviceFactory(), checklist=["A", "a", 3], interval=0, title="",
                                    bogus=True), format="json")
    errors = assert_error(response, 400, fields=["checklist", "interval", "title", "bogus"])["errors"]
    assert errors["checklist"] == ["[2] Must be a string."]
    # Once the items are texts, the duplicate rule answers with the others too.
    response = admin.post(URL, body(DeviceFactory(), checklist=["A", "a"], lead_days=91), format="json")
    errors = assert_error(response, 400, fields=["checklist", "lead_days"])["errors"]
    assert errors["checklist"] == ["[1] 'a' repeats step [0]; give each step once."]
    assert not PMSchedule.objects.exists()


def test_next_due_date_at_most_ten_years_ahead(admin):
    limit = years_after(timezone.localdate(), 10)
    device = DeviceFactory()
    too_far = (limit + datetime.timedelta(days=1)).isoformat()
    errors = assert_error(admin.post(URL, body(device, next_due_date=too_far), format="json"), 400,
                          fields=["next_due_date"])["errors"]
    assert "10 years" in errors["next_due_date"][0]
    assert not PMSchedule.objects.exists()
    response = admin.post(URL, body(device, next_due_date=limit.isoformat()), format="json")
    assert response.status_code == 201, response.content
    schedule = PMSchedule.objects.get()
    assert_error(admin.patch(f"{URL}{schedule.pk}/", {"next_due_date": too_far}, format="json"), 400,
                 fields=["next_due_date"])
    schedule.refresh_from_db()
    assert schedule.next_due_date == limit


def test_the_schema_shows_the_checklist_bounds(admin):
    schema = admin.get("/api/schema/?format=json").json()
    checklist = schema["components"]["schemas"]["PMScheduleWriteRequest"]["properties"]["checklist"]
    assert (checklist["minItems"], checklist["maxItems"]) == (1, 50)
    assert checklist["items"]["type"] == "string" and checklist["items"]["maxLength"] == 300


# --- Django admin -----------------------------------------------------------------------------------
@pytest.fixture
def site():
    client = Client()
    client.force_login(UserFactory(admin=True, is_superuser=True))
    return client


def admin_form(device, **overrides):
    data = {"device": device.pk, "title": "Safety check", "checklist": "Inspect the cord\nTest the alarms",
            "frequency": "monthly", "interval": 1, "based_on": "scheduled_date",
            "next_due_date": timezone.localdate().isoformat(), "lead_days": 0, "active": "on"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("overrides, message", [
    ({"interval": 0}, "The interval is 1 to 365."),
    ({"interval": 366}, "The interval is 1 to 365."),
    ({"lead_days": 999}, "Lead days are 0 to 90."),
])
def test_admin_form_answers_the_apis_messages_not_the_constraint(site, overrides, message):
    response = site.post("/admin/maintenance/pmschedule/add/", admin_form(DeviceFactory(), **overrides), follow=True)
    page = response.content.decode()
    assert message in page
    assert "maintenance_pmschedule" not in page  # no raw constraint name
    assert not PMSchedule.objects.exists()


def test_admin_form_refuses_a_due_date_too_far_ahead(site):
    too_far = years_after(timezone.localdate(), 10) + datetime.timedelta(days=1)
    response = site.post("/admin/maintenance/pmschedule/add/",
                         admin_form(DeviceFactory(), next_due_date=too_far.isoformat()), follow=True)
    assert "at most 10 years ahead" in response.content.decode()
    assert not PMSchedule.objects.exists()


def test_generate_action_reports_the_rearmed_schedules(site):
    today = timezone.localdate()
    schedule = PMScheduleFactory(based_on="completed_date", next_due_date=today - datetime.timedelta(days=40))
    generate_pm_workorders(today=today)
    order = WorkOrder.objects.get(pm_schedule=schedule)
    WorkOrder.objects.filter(pk=order.pk).update(status="closed", completed_date=today - datetime.timedelta(days=35),
                                                 completed_at=timezone.now(), technical_action="Done")
    response = site.post("/admin/maintenance/pmschedule/",
                         {"action": "generate_due_work_orders", "_selected_action": [schedule.pk]}, follow=True)
    page = response.content.decode()
    assert ("Created 1 work order(s) for 1 schedule(s); schedules: 1 re-armed after their last work order "
            "closed.") in page


def test_report_message_lists_every_non_zero_count():
    report = {"created": 0, "schedules": 0, "skipped_inactive": 2, "waiting_for_completion": 1, "capped": 3,
              "rearmed": 4, "deferred": 5}
    message = report_message(report)
    for fragment in ("Created 0 work order(s) for 0 schedule(s)", "4 re-armed", "1 waiting", "2 inactive",
                     "3 with more to catch up", "5 left for the next run"):
        assert fragment in message
    quiet = report_message({**report, "skipped_inactive": 0, "waiting_for_completion": 0, "capped": 0,
                            "rearmed": 0, "deferred": 0})
    assert quiet == "Created 0 work order(s) for 0 schedule(s)."
