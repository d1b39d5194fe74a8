"""Concurrent generator runs create each occurrence's work order once: real threads (each with its own
connection) and real processes (the management command) against the same database. On PostgreSQL
the runs lock schedules with SKIP LOCKED and the unique key (pm_schedule, pm_due_date) settles any
overlap; on SQLite the IMMEDIATE transaction serialises them."""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection

from maintenance.choices import BasedOn, Frequency
from maintenance.models import PMSchedule
from maintenance.services import generate_pm_workorders
from tests.devices.helpers import run_concurrently
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory
from tests.maintenance.factories import PMScheduleFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2027, 3, 10)


def make_schedules(count):
    """`count` weekly schedules three weeks behind (3 occurrences each) and one completed_date one."""
    engineer = UserFactory(engineer=True)
    devices = [DeviceFactory(assigned_engineer=engineer) for _ in range(10)]
    for index in range(count):
        PMScheduleFactory(device=devices[index % 10], frequency=Frequency.WEEKLY,
                          next_due_date=DAY - timedelta(days=14))
    PMScheduleFactory(device=devices[0], based_on=BasedOn.COMPLETED_DATE, next_due_date=DAY)
    return count * 3 + 1


def assert_one_work_order_per_occurrence(expected):
    pairs = Counter(WorkOrder.objects.values_list("pm_schedule_id", "pm_due_date"))
    assert sum(pairs.values()) == expected
    assert set(pairs.values()) == {1}
    assert len(set(WorkOrder.objects.values_list("work_number", flat=True))) == expected
    weekly = PMSchedule.objects.filter(based_on=BasedOn.SCHEDULED_DATE)
    assert set(weekly.values_list("next_due_date", flat=True)) == {DAY + timedelta(days=7)}


def test_threads_running_the_generator_at_once_create_each_work_order_once():
    expected = make_schedules(60)
    reports = run_concurrently(4, lambda index: generate_pm_workorders(today=DAY))
    assert sum(report["created"] for report in reports) == expected
    assert_one_work_order_per_occurrence(expected)
    assert generate_pm_workorders(today=DAY)["created"] == 0


# The command in a fresh interpreter, released at a common instant so the runs overlap.
RUNNER = """
import os, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.core.management import call_command
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
call_command("generate_pm_workorders", "--today", sys.argv[2])
"""


def database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_two_processes_running_the_command_at_once_create_each_work_order_once():
    expected = make_schedules(150)
    environment = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    start = time.time() + 6
    processes = [
        subprocess.Popen([sys.executable, "-c", RUNNER, str(start), DAY.isoformat()], cwd=settings.BASE_DIR,
                         env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(report["created"] for report in reports)[-1] > 0
    assert sum(report["created"] for report in reports) == expected
    assert_one_work_order_per_occurrence(expected)
