"""Generated PM work orders are announced like reported ones: one `workorder.created` each, after commit."""

from datetime import date
from unittest import mock

import pytest

from maintenance.services import generate_pm_workorders
from tests.maintenance.factories import PMScheduleFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

DAY = date(2027, 3, 10)


def test_each_generated_work_order_is_announced_once_after_commit(django_capture_on_commit_callbacks):
    schedules = [PMScheduleFactory(next_due_date=DAY) for _ in range(3)]
    with mock.patch("core.events.deliver") as deliver:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            report = generate_pm_workorders(today=DAY)
        assert deliver.call_count == 0  # nothing leaves before the commit
        for callback in callbacks:
            callback()
    assert report["created"] == 3
    events = [call.args[0] for call in deliver.call_args_list]
    created = WorkOrder.objects.filter(pm_schedule__in=schedules)
    assert sorted(event["pk"] for event in events) == sorted(created.values_list("pk", flat=True))
    assert {event["type"] for event in events} == {"workorder.created"}
    assert all(event["model"] == "workorders.WorkOrder" and event["data"]["work_type"] == "PM" for event in events)


def test_a_run_that_creates_nothing_announces_nothing(django_capture_on_commit_callbacks):
    PMScheduleFactory(next_due_date=DAY)
    generate_pm_workorders(today=DAY)
    with mock.patch("core.events.deliver") as deliver, django_capture_on_commit_callbacks(execute=True):
        assert generate_pm_workorders(today=DAY)["created"] == 0
    deliver.assert_not_called()
