"""PM schedules in Django admin: saves run the services (same rules as the API), and the action
runs the generator for the selected schedules."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from devices.choices import DeviceStatus
from maintenance.models import PMSchedule
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory
from tests.maintenance.factories import PMScheduleFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

LIST = "/admin/maintenance/pmschedule/"


@pytest.fixture
def site():
    client = Client()
    client.force_login(UserFactory(admin=True, is_superuser=True))
    return client


def form(device, **overrides):
    data = {"device": device.pk, "title": "Safety check", "checklist": "Inspect the cord\n\nTest the alarms\n",
            "frequency": "monthly", "interval": 1, "based_on": "scheduled_date",
            "next_due_date": timezone.localdate().isoformat(), "lead_days": 0, "active": "on"}
    data.update(overrides)
    return data


def test_list_search_and_filters_answer(site):
    PMScheduleFactory(title="Electrical safety")
    for query in ("", "?q=electrical", "?active__exact=1", "?frequency__exact=monthly",
                  "?device__status__exact=active"):
        assert site.get(LIST + query).status_code == 200


def test_add_runs_the_service(site):
    device = DeviceFactory()
    response = site.post(f"{LIST}add/", form(device))
    assert response.status_code == 302, response.content
    schedule = PMSchedule.objects.get()
    assert schedule.checklist == ["Inspect the cord", "Test the alarms"]
    page = site.get(f"{LIST}{schedule.pk}/change/").content.decode()
    assert "Inspect the cord\nTest the alarms" in page


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"checklist": "Inspect\ninspect"}, "repeats"),
    ({"next_due_date": "2020-01-01"}, "past"),
])
def test_add_refuses_what_the_api_refuses(site, overrides, fragment):
    response = site.post(f"{LIST}add/", form(DeviceFactory(), **overrides), follow=True)
    assert fragment in response.content.decode()
    assert not PMSchedule.objects.exists()


def test_a_decommissioned_device_is_refused(site):
    response = site.post(f"{LIST}add/", form(DeviceFactory(status=DeviceStatus.DECOMMISSIONED)), follow=True)
    assert "decommissioned" in response.content.decode()
    assert not PMSchedule.objects.exists()


def test_change_runs_the_service(site):
    schedule = PMScheduleFactory()
    response = site.post(f"{LIST}{schedule.pk}/change/", form(schedule.device, title="Renamed", interval=2,
                                                              checklist="One\nTwo\nThree"))
    assert response.status_code == 302, response.content
    schedule.refresh_from_db()
    assert (schedule.title, schedule.interval, schedule.checklist) == ("Renamed", 2, ["One", "Two", "Three"])


def test_delete_keeps_the_work_orders(site):
    schedule = PMScheduleFactory()
    site.post(LIST, {"action": "generate_due_work_orders", "_selected_action": [schedule.pk]})
    response = site.post(f"{LIST}{schedule.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not PMSchedule.objects.exists()
    assert WorkOrder.objects.get().pm_schedule is None


def test_generate_action_runs_the_generator_for_the_selected_schedules(site):
    today = timezone.localdate()
    chosen = PMScheduleFactory(next_due_date=today - timedelta(days=1), frequency="daily")
    other = PMScheduleFactory(next_due_date=today)
    response = site.post(LIST, {"action": "generate_due_work_orders", "_selected_action": [chosen.pk]}, follow=True)
    assert "Created 2 work order(s) for 1 schedule(s)" in response.content.decode()
    assert WorkOrder.objects.filter(pm_schedule=chosen).count() == 2
    assert not WorkOrder.objects.filter(pm_schedule=other).exists()
