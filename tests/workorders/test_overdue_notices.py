"""Overdue work orders (workorders.jobs.email_overdue_work_orders): one email a day to the assignee,
with its in-app notification; twice in a day sends once, the next day sends again."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from notifications.models import Notification
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from workorders import tasks
from workorders.choices import WorkOrderStatus
from workorders.jobs import OVERDUE_KIND, email_overdue_work_orders
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


@pytest.fixture
def engineer():
    return UserFactory(engineer=True, email="eng@example.org")


@pytest.fixture
def overdue(engineer):
    return WorkOrderFactory(device=DeviceFactory(assigned_engineer=engineer), due_date=TODAY - timedelta(days=3),
                            description="Patient in bed 4 reports the alarm is silent")


def run(django_capture_on_commit_callbacks, today=TODAY, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return email_overdue_work_orders(today=today, **kwargs)


def test_one_email_and_notification_a_day_and_again_the_next_day(overdue, engineer, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    first = run(django_capture_on_commit_callbacks)
    assert first == {"waiting": False, "unassigned": 0, "inactive_assignee": 0, "candidates": 1, "notified": 1,
                     "already_notified": 0}
    assert run(django_capture_on_commit_callbacks)["notified"] == 0  # the same day: nothing more
    [email] = mailoutbox
    assert email.to == ["eng@example.org"]
    assert email.subject == f"Work order {overdue.work_number} is overdue"
    assert "due on 2026-03-07: 3 days overdue, status open" in email.body
    assert "bed 4" not in email.body  # the description stays in the app
    [notification] = Notification.objects.filter(user=engineer)
    assert notification.kind == OVERDUE_KIND and notification.title == email.subject
    assert notification.data == {"work_order": overdue.pk, "work_number": overdue.work_number,
                                 "due_date": "2026-03-07", "status": "open"}
    overdue.refresh_from_db()
    assert overdue.overdue_notice_on == TODAY

    assert run(django_capture_on_commit_callbacks, today=TODAY + timedelta(days=1))["notified"] == 1
    assert len(mailoutbox) == 2 and "4 days overdue" in mailoutbox[1].body
    assert Notification.objects.filter(user=engineer, kind=OVERDUE_KIND).count() == 2


def test_closed_and_not_yet_due_work_orders_get_none(engineer, mailoutbox, django_capture_on_commit_callbacks):
    device = DeviceFactory(assigned_engineer=engineer)
    WorkOrderFactory(device=device, due_date=TODAY - timedelta(days=1), status=WorkOrderStatus.CLOSED,
                     completed_date=TODAY - timedelta(days=1))
    WorkOrderFactory(device=device, due_date=TODAY)  # due today: not overdue yet
    report = run(django_capture_on_commit_callbacks)
    assert report["candidates"] == 0 and mailoutbox == [] and not Notification.objects.exists()


def test_in_progress_work_orders_are_overdue_too(engineer, mailoutbox, django_capture_on_commit_callbacks):
    WorkOrderFactory(device=DeviceFactory(assigned_engineer=engineer), due_date=TODAY - timedelta(days=1),
                     status=WorkOrderStatus.IN_PROGRESS)
    assert run(django_capture_on_commit_callbacks)["notified"] == 1
    assert "1 day overdue, status in progress" in mailoutbox[0].body


def test_without_an_active_assignee_it_is_skipped_and_counted(mailoutbox, django_capture_on_commit_callbacks):
    unassigned = WorkOrderFactory(due_date=TODAY - timedelta(days=2), assigned_to=None)
    gone = UserFactory(engineer=True, is_active=False)
    WorkOrderFactory(device=DeviceFactory(assigned_engineer=gone), due_date=TODAY - timedelta(days=2))
    report = run(django_capture_on_commit_callbacks)
    assert report == {"waiting": False, "unassigned": 1, "inactive_assignee": 1, "candidates": 0, "notified": 0,
                      "already_notified": 0}
    assert mailoutbox == []
    unassigned.refresh_from_db()
    assert unassigned.overdue_notice_on is None


def test_an_assignee_without_email_still_gets_the_in_app_notification(mailoutbox,
                                                                      django_capture_on_commit_callbacks):
    engineer = UserFactory(engineer=True, email="")
    WorkOrderFactory(device=DeviceFactory(assigned_engineer=engineer), due_date=TODAY - timedelta(days=1))
    assert run(django_capture_on_commit_callbacks)["notified"] == 1
    assert mailoutbox == [] and Notification.objects.filter(user=engineer).count() == 1


def test_a_notice_does_not_count_as_an_edit(overdue, django_capture_on_commit_callbacks):
    before = WorkOrder.objects.get(pk=overdue.pk).updated_at
    run(django_capture_on_commit_callbacks)
    assert WorkOrder.objects.get(pk=overdue.pk).updated_at == before


def test_a_pass_is_bounded_longest_overdue_first(engineer, mailoutbox, django_capture_on_commit_callbacks):
    device = DeviceFactory(assigned_engineer=engineer)
    oldest = WorkOrderFactory(device=device, due_date=TODAY - timedelta(days=9))
    WorkOrderFactory(device=device, due_date=TODAY - timedelta(days=1))
    assert run(django_capture_on_commit_callbacks, limit=1)["notified"] == 1
    assert WorkOrder.objects.get(pk=oldest.pk).overdue_notice_on == TODAY
    assert run(django_capture_on_commit_callbacks, limit=1)["notified"] == 1
    assert run(django_capture_on_commit_callbacks, limit=1)["candidates"] == 0
    assert len(mailoutbox) == 2


def test_the_task_and_the_command_run_the_same_pass(overdue, capsys, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("email_overdue_work_orders", "--today", "2026-03-10")
    assert json.loads(capsys.readouterr().out)["notified"] == 1
    with (time_machine.travel(datetime(2026, 3, 11, 9, 0, tzinfo=UTC), tick=False),
          django_capture_on_commit_callbacks(execute=True)):
        report = tasks.email_overdue_work_orders()  # today: 11 March
    assert report["notified"] == 1 and len(mailoutbox) == 2
    with pytest.raises(CommandError, match="--today"):
        call_command("email_overdue_work_orders", "--today", "yesterday")


def test_the_scheduled_pass_waits_for_seven_in_the_morning(overdue, mailoutbox, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime(2026, 3, 10, 6, 59, tzinfo=UTC), tick=False):  # TIME_ZONE is UTC
        assert run(django_capture_on_commit_callbacks, today=None) == {
            "waiting": True, "unassigned": 0, "inactive_assignee": 0, "candidates": 0, "notified": 0,
            "already_notified": 0}
    assert mailoutbox == []
    with time_machine.travel(datetime(2026, 3, 10, 7, 0, tzinfo=UTC), tick=False):
        assert run(django_capture_on_commit_callbacks, today=None)["notified"] == 1
        assert run(django_capture_on_commit_callbacks, today=None)["notified"] == 0
    with time_machine.travel(datetime(2026, 3, 11, 0, 30, tzinfo=UTC), tick=False):
        assert run(django_capture_on_commit_callbacks, today=None)["waiting"] is True  # after midnight: not yet
    assert len(mailoutbox) == 1
