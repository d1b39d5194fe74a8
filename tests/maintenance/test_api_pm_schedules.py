"""/api/pm-schedules/: role matrix, scoping, input rules, filters, the read shape and its query count."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.choices import Role
from devices.choices import DeviceStatus
from maintenance.models import PMSchedule
from maintenance.services import generate_pm_workorders
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory
from tests.maintenance.factories import PMScheduleFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

URL = "/api/pm-schedules/"


def detail(schedule):
    return f"{URL}{schedule.pk}/"


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def world(client_for):
    engineer = UserFactory(engineer=True)
    device = DeviceFactory(assigned_engineer=engineer, asset_number="EQ-0100")
    own = PMScheduleFactory(device=device, title="Electrical safety")
    other = PMScheduleFactory(title="Battery test")  # another engineer's device
    clients = {Role.ADMIN: client_for(Role.ADMIN), Role.ENGINEER: client_for(engineer)}
    for role in (Role.DOCTOR, Role.NURSE, Role.PATIENT):
        clients[role] = client_for(role)
    return SimpleNamespace(engineer=engineer, device=device, own=own, other=other, clients=clients)


def payload(on_device, **overrides):
    body = {"device": on_device.pk, "title": "Monthly safety check",
            "checklist": ["  Inspect the power cord ", "Measure earth leakage"], "frequency": "monthly",
            "interval": 1, "based_on": "scheduled_date", "next_due_date": timezone.localdate().isoformat(),
            "lead_days": 7, "active": True}
    body.update(overrides)
    return body


# -- who may call ----------------------------------------------------------------------------------
def test_admin_lists_every_schedule_and_an_engineer_only_their_devices(world):
    assert sorted(ids(world.clients[Role.ADMIN].get(URL))) == sorted([world.own.pk, world.other.pk])
    assert ids(world.clients[Role.ENGINEER].get(URL)) == [world.own.pk]
    response = world.clients[Role.ENGINEER].get(detail(world.own))
    assert response.status_code == 200 and response.json()["title"] == "Electrical safety"


def test_another_engineer_s_schedule_is_a_404(world):
    assert world.clients[Role.ENGINEER].get(detail(world.other)).status_code == 404


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.PATIENT])
def test_other_roles_are_refused_every_action(world, role):
    client = world.clients[role]
    assert client.get(URL).status_code == 403
    assert client.get(detail(world.own)).status_code == 403
    assert client.post(URL, payload(world.device), format="json").status_code == 403
    assert client.patch(detail(world.own), {"title": "X"}, format="json").status_code == 403
    assert client.delete(detail(world.own)).status_code == 403
    assert PMSchedule.objects.count() == 2


def test_an_engineer_may_not_write_even_their_own_schedules(world):
    client = world.clients[Role.ENGINEER]
    assert client.post(URL, payload(world.device), format="json").status_code == 403
    assert client.patch(detail(world.own), {"title": "Renamed"}, format="json").status_code == 403
    assert client.put(detail(world.own), payload(world.device), format="json").status_code == 403
    assert client.delete(detail(world.own)).status_code == 403
    world.own.refresh_from_db()
    assert world.own.title == "Electrical safety" and PMSchedule.objects.count() == 2


def test_anonymous_callers_get_401(api_client, world):
    assert api_client.get(URL).status_code == 401
    assert api_client.get(detail(world.own)).status_code == 401
    assert api_client.post(URL, payload(world.device), format="json").status_code == 401
    assert api_client.delete(detail(world.own)).status_code == 401


# -- writes ----------------------------------------------------------------------------------------
def test_admin_creates_a_schedule_and_gets_the_read_shape(world):
    response = world.clients[Role.ADMIN].post(URL, payload(world.device), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    schedule = PMSchedule.objects.get(pk=body["id"])
    assert schedule.checklist == ["Inspect the power cord", "Measure earth leakage"]  # stripped
    assert (schedule.device, schedule.lead_days, schedule.frequency) == (world.device, 7, "monthly")
    assert body["device_asset_number"] == "EQ-0100" and body["device_name"] == world.device.name
    assert body["last_work_order"] is None
    assert set(body) == {"id", "device", "device_asset_number", "device_name", "title", "checklist", "frequency",
                         "interval", "based_on", "next_due_date", "lead_days", "active", "last_work_order",
                         "created_at", "updated_at"}


def test_defaults_on_create(world):
    body = payload(world.device)
    for name in ("interval", "based_on", "lead_days", "active"):
        body.pop(name)
    response = world.clients[Role.ADMIN].post(URL, body, format="json")
    assert response.status_code == 201, response.content
    schedule = PMSchedule.objects.get(pk=response.json()["id"])
    assert (schedule.interval, schedule.based_on, schedule.lead_days, schedule.active) == (
        1, "scheduled_date", 0, True)


@pytest.mark.parametrize(("overrides", "field", "fragment"), [
    ({"title": ""}, "title", ""),
    ({"title": "x" * 201}, "title", "200"),
    ({"checklist": []}, "checklist", "1 to 50"),
    ({"checklist": [f"Step {n}" for n in range(51)]}, "checklist", "1 to 50"),
    ({"checklist": ["Inspect", "   "]}, "checklist", "[1]"),
    ({"checklist": ["Inspect", "y" * 301]}, "checklist", "[1]"),
    ({"checklist": ["Inspect", "Test alarms", " inspect "]}, "checklist", "[2]"),
    ({"checklist": "Inspect"}, "checklist", ""),
    ({"checklist": [{"step": "Inspect"}]}, "checklist", ""),
    ({"frequency": "hourly"}, "frequency", ""),
    ({"interval": 0}, "interval", ""),
    ({"interval": 366}, "interval", ""),
    ({"lead_days": -1}, "lead_days", ""),
    ({"lead_days": 91}, "lead_days", ""),
    ({"based_on": "whenever"}, "based_on", ""),
    ({"next_due_date": None}, "next_due_date", ""),
    ({"next_due_date": "2027-02-30"}, "next_due_date", ""),
    ({"device": 999999}, "device", ""),
    ({"device": "abc"}, "device", ""),
    ({"active": "maybe"}, "active", ""),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(world, overrides, field, fragment):
    response = world.clients[Role.ADMIN].post(URL, payload(world.device, **overrides), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert fragment in str(errors[field])
    assert PMSchedule.objects.count() == 2


def test_the_first_due_date_may_not_lie_in_the_past(world):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = world.clients[Role.ADMIN].post(URL, payload(world.device, next_due_date=yesterday), format="json")
    assert response.status_code == 400 and "next_due_date" in response.json()["errors"]
    assert PMSchedule.objects.count() == 2


def test_missing_required_fields_are_named(world):
    response = world.clients[Role.ADMIN].post(URL, {}, format="json")
    assert response.status_code == 400
    assert {"device", "title", "checklist", "frequency", "next_due_date"} <= set(response.json()["errors"])


def test_a_decommissioned_device_takes_no_schedule(world):
    retired = DeviceFactory(status=DeviceStatus.DECOMMISSIONED)
    client = world.clients[Role.ADMIN]
    response = client.post(URL, payload(retired), format="json")
    assert response.status_code == 400
    assert "decommissioned" in response.json()["errors"]["device"][0]
    response = client.patch(detail(world.own), {"device": retired.pk}, format="json")
    assert response.status_code == 400 and "device" in response.json()["errors"]
    world.own.refresh_from_db()
    assert world.own.device == world.device and PMSchedule.objects.count() == 2


def test_a_schedule_whose_device_was_decommissioned_can_still_be_edited(world):
    DeviceFactory._meta.model.objects.filter(pk=world.device.pk).update(status=DeviceStatus.DECOMMISSIONED)
    response = world.clients[Role.ADMIN].patch(detail(world.own), {"active": False}, format="json")
    assert response.status_code == 200, response.content
    world.own.refresh_from_db()
    assert world.own.active is False


def test_admin_patches_and_puts(world):
    client = world.clients[Role.ADMIN]
    response = client.patch(detail(world.own), {"title": "  Renamed ", "interval": 3,
                                                "checklist": ["Only step"]}, format="json")
    assert response.status_code == 200, response.content
    world.own.refresh_from_db()
    assert (world.own.title, world.own.interval, world.own.checklist) == ("Renamed", 3, ["Only step"])
    past = (timezone.localdate() - timedelta(days=30)).isoformat()  # an update may set the date back
    body = payload(world.device, title="Replaced", frequency="weekly", next_due_date=past)
    response = client.put(detail(world.own), body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["next_due_date"] == past and response.json()["frequency"] == "weekly"


def test_a_bad_patch_changes_nothing(world):
    response = world.clients[Role.ADMIN].patch(
        detail(world.own), {"title": "New", "checklist": ["A", "a"]}, format="json")
    assert response.status_code == 400 and "checklist" in response.json()["errors"]
    world.own.refresh_from_db()
    assert world.own.title == "Electrical safety"


def test_deleting_a_schedule_keeps_its_work_orders(world):
    generate_pm_workorders(today=world.own.next_due_date)
    order = WorkOrder.objects.get(pm_schedule=world.own)
    response = world.clients[Role.ADMIN].delete(detail(world.own))
    assert response.status_code == 204
    assert not PMSchedule.objects.filter(pk=world.own.pk).exists()
    order.refresh_from_db()
    assert order.pm_schedule is None and order.pm_due_date is not None


def test_missing_schedule_is_a_404(world):
    assert world.clients[Role.ADMIN].get(f"{URL}999999/").status_code == 404
    assert world.clients[Role.ADMIN].patch(f"{URL}999999/", {"title": "X"}, format="json").status_code == 404


# -- reads: last work order, filters, search, ordering -----------------------------------------------
def test_last_work_order_is_the_latest_generated_one(world):
    today = timezone.localdate()
    PMSchedule.objects.filter(pk=world.own.pk).update(next_due_date=today - timedelta(days=40))
    generate_pm_workorders(today=today)
    latest = WorkOrder.objects.filter(pm_schedule=world.own).order_by("-pm_due_date").first()
    body = world.clients[Role.ENGINEER].get(detail(world.own)).json()
    assert body["last_work_order"] == {"id": latest.pk, "work_number": latest.work_number, "status": "open",
                                       "due_date": latest.pm_due_date.isoformat()}


def test_the_list_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    client = world.clients[Role.ADMIN]
    client.get(URL)  # warm the user lookup caches
    for _ in range(8):
        PMScheduleFactory(next_due_date=date(2027, 1, 1))
    generate_pm_workorders(today=date(2027, 3, 1))
    with django_assert_max_num_queries(4):
        response = client.get(URL)
    assert response.json()["count"] == 10
    assert sum(item["last_work_order"] is not None for item in response.json()["results"]) == 10


def test_filters(world):
    client = world.clients[Role.ADMIN]
    weekly = PMScheduleFactory(frequency="weekly", based_on="completed_date", active=False,
                               next_due_date=date(2030, 5, 1))
    assert ids(client.get(URL, {"device": world.device.pk})) == [world.own.pk]
    assert ids(client.get(URL, {"frequency": "weekly"})) == [weekly.pk]
    assert ids(client.get(URL, {"based_on": "completed_date"})) == [weekly.pk]
    assert ids(client.get(URL, {"active": "false"})) == [weekly.pk]
    assert weekly.pk not in ids(client.get(URL, {"active": "true"}))
    assert ids(client.get(URL, {"due_after": "2030-05-01"})) == [weekly.pk]
    assert weekly.pk not in ids(client.get(URL, {"due_before": "2030-04-30"}))
    assert ids(client.get(URL, {"due_before": "2030-05-01", "due_after": "2030-05-01"})) == [weekly.pk]


@pytest.mark.parametrize(("params", "field"), [({"active": "maybe"}, "active"), ({"frequency": "hourly"}, "frequency"),
                                               ({"due_before": "soon"}, "due_before"), ({"device": "1.5"}, "device")])
def test_bad_filters_are_a_400_naming_the_parameter(world, params, field):
    response = world.clients[Role.ADMIN].get(URL, params)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_search_by_title_and_asset_number_and_ordering(world):
    client = world.clients[Role.ADMIN]
    assert ids(client.get(URL, {"search": "electrical"})) == [world.own.pk]
    assert ids(client.get(URL, {"search": "EQ-0100"})) == [world.own.pk]
    assert ids(client.get(URL, {"ordering": "title"})) == [world.other.pk, world.own.pk]  # Battery < Electrical
    assert ids(client.get(URL, {"ordering": "-title"})) == [world.own.pk, world.other.pk]
    assert ids(client.get(URL, {"ordering": "-id"})) == sorted([world.own.pk, world.other.pk], reverse=True)
    PMSchedule.objects.filter(pk=world.other.pk).update(next_due_date=date(2020, 1, 1))
    assert ids(client.get(URL)) == [world.other.pk, world.own.pk]  # default: next_due_date


def test_an_engineer_s_filters_stay_in_scope(world):
    client = world.clients[Role.ENGINEER]
    assert ids(client.get(URL, {"device": world.other.device_id})) == []
    assert ids(client.get(URL, {"search": "Battery"})) == []
