"""monitoring/tasks.py: the every-minute jobs are registered Celery tasks running their pass through
core.jobs.run_job, and each has its management command."""

from unittest import mock

import pytest
from django.core.management import get_commands, load_command_class

from config.celery import app
from core.jobs import JobCommand
from monitoring import escalation, stale, tasks


@pytest.mark.parametrize("name", ["escalate_alerts", "check_stale_monitors"])
def test_the_minute_jobs_are_tasks_and_commands(name):
    app.loader.import_default_modules()
    assert f"monitoring.tasks.{name}" in app.tasks
    assert get_commands()[name] == "monitoring"
    assert isinstance(load_command_class("monitoring", name), JobCommand)


def test_the_escalation_command_runs_the_task_pass():
    assert type(load_command_class("monitoring", "escalate_alerts")).job is escalation.escalate_alerts


def test_the_stale_task_runs_the_stale_pass(caplog):
    caplog.set_level("INFO", logger="meditrack.jobs")
    with mock.patch.object(stale, "check_stale_monitors", return_value={"raised": 0}) as check:
        # .result, not .get(): get() refuses once some earlier test has set Celery's "never join
        # inside a task" guard; an eager result holds the value either way.
        assert tasks.check_stale_monitors.delay().result == {"raised": 0}
    check.assert_called_once_with()
    assert any(r.getMessage().startswith("job check_stale_monitors done") for r in caplog.records)
