"""Two overdue passes at once (real threads and commits, PostgreSQL and SQLite) send one email."""

from datetime import date, timedelta

import pytest

from notifications.models import Notification
from tests.devices.helpers import run_concurrently
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from workorders.jobs import email_overdue_work_orders

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_passes_send_one_email_per_work_order(mailoutbox):
    today = date(2026, 3, 10)
    engineer = UserFactory(engineer=True, email="eng@example.org")
    device = DeviceFactory(assigned_engineer=engineer)
    orders = [WorkOrderFactory(device=device, due_date=today - timedelta(days=n)) for n in (1, 2, 3)]
    reports = run_concurrently(6, lambda index: email_overdue_work_orders(today=today))
    assert sum(report["notified"] for report in reports) == 3
    assert len(mailoutbox) == 3
    assert sorted(Notification.objects.values_list("data__work_order", flat=True)) == sorted(o.pk for o in orders)
