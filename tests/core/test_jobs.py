"""Periodic jobs (core.jobs): each is a beat entry, a registered task and a management command, and
each pass is idempotent and logs its report."""

import json
import logging
from datetime import timedelta
from unittest import mock

import pytest
from celery.signals import worker_ready
from django.conf import settings
from django.core.management import call_command, get_commands, load_command_class
from django.db import connection
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.tasks import delete_expired_tokens, flush_expired_tokens
from config.celery import app, ensure_broker_folders
from core.jobs import JobCommand, run_job
from monitoring.tasks import create_partitions_ahead, create_reading_partitions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Every beat entry and the management command that runs the same pass.
JOB_COMMANDS = {
    "escalate-alerts": "escalate_alerts",
    "check-stale-monitors": "check_stale_monitors",
    "mark-no-shows": "mark_no_shows",
    "send-appointment-reminders": "send_appointment_reminders",
    "generate-pm-workorders": "generate_pm_workorders",
    "email-overdue-work-orders": "email_overdue_work_orders",
    "flush-expired-tokens": "flush_expired_tokens",
    "create-reading-partitions": "create_reading_partitions",
    "retry-webhook-deliveries": "retry_webhook_deliveries",
}


def job_lines(caplog, name):
    return [r for r in caplog.records if r.name == "meditrack.jobs" and r.getMessage().startswith(f"job {name} ")]


def test_every_scheduled_job_is_a_registered_task():
    app.loader.import_default_modules()
    assert settings.CELERY_BEAT_SCHEDULE
    for job in settings.CELERY_BEAT_SCHEDULE.values():
        assert job["task"] in app.tasks, job


def test_every_scheduled_job_is_also_a_management_command():
    commands = get_commands()
    for name in settings.CELERY_BEAT_SCHEDULE:
        assert name in JOB_COMMANDS, f"{name}: which command runs it? (add it to JOB_COMMANDS)"
        assert JOB_COMMANDS[name] in commands, name


def test_the_beat_schedule_has_every_job_at_its_interval():
    schedule = {name: entry["schedule"] for name, entry in settings.CELERY_BEAT_SCHEDULE.items()}
    assert schedule["flush-expired-tokens"] == 24 * 3600
    assert schedule["create-reading-partitions"] == 24 * 3600
    assert set(schedule) == set(settings.JOB_INTERVALS)
    assert schedule["generate-pm-workorders"] == 3600
    # The contract's minute jobs, and the appointment jobs (docs/jobs.md says why these intervals).
    assert schedule["escalate-alerts"] == schedule["check-stale-monitors"] == 60
    assert schedule["mark-no-shows"] == 5 * 60 and schedule["send-appointment-reminders"] == 15 * 60
    assert schedule["email-overdue-work-orders"] == 3600


@pytest.mark.parametrize("name", sorted(JOB_COMMANDS))
def test_each_jobs_command_is_a_job_command(name):
    app_name = get_commands()[JOB_COMMANDS[name]]
    assert isinstance(load_command_class(app_name, JOB_COMMANDS[name]), JobCommand), name


def test_job_commands_run_the_task_pass():
    # The command and the task call the same function: a JobCommand names it.
    command = load_command_class("monitoring", "create_reading_partitions")
    assert isinstance(command, JobCommand)
    assert type(command).job is create_partitions_ahead
    pm = load_command_class("maintenance", "generate_pm_workorders")
    assert isinstance(pm, JobCommand) and pm.job_name == "generate_pm_workorders"


@pytest.mark.parametrize("enabled", [True, False])
def test_the_make_run_worker_queues_every_job_once_at_start(settings, enabled):
    settings.JOBS_RUN_AT_START = enabled
    with mock.patch.object(app, "send_task") as send:
        worker_ready.send(sender=None)
    expected = [mock.call(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()] if enabled else []
    assert send.call_args_list == expected


def test_run_job_logs_the_report_and_returns_it(caplog):
    caplog.set_level(logging.INFO, logger="meditrack.jobs")
    assert run_job("sample", lambda **kw: {"created": 2, **kw}, extra=1) == {"created": 2, "extra": 1}
    (line,) = job_lines(caplog, "sample")
    assert line.levelno == logging.INFO
    assert line.getMessage().endswith(': {"created": 2, "extra": 1}')


def test_run_job_logs_a_failure_and_raises_it(caplog):
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        run_job("broken", broken)
    (line,) = job_lines(caplog, "broken")
    assert line.levelno == logging.ERROR and line.exc_info[0] is RuntimeError


def outstanding(user, jti, expires_in):
    return OutstandingToken.objects.create(user=user, jti=jti, token=jti, expires_at=timezone.now() + expires_in)


def test_flush_deletes_expired_tokens_only_and_a_second_run_finds_nothing(caplog):
    caplog.set_level(logging.INFO, logger="meditrack.jobs")
    user = UserFactory()
    BlacklistedToken.objects.create(token=outstanding(user, "old-1", timedelta(minutes=-1)))
    outstanding(user, "old-2", timedelta(days=-3))
    live = outstanding(user, "live", timedelta(hours=1))

    assert flush_expired_tokens.delay().result == {"deleted": 2, "blacklist_rows_deleted": 1}
    assert list(OutstandingToken.objects.all()) == [live]
    assert BlacklistedToken.objects.count() == 0
    assert json.loads(job_lines(caplog, "flush_expired_tokens")[0].getMessage().split(": ", 1)[1]) == {
        "deleted": 2, "blacklist_rows_deleted": 1,
    }
    assert delete_expired_tokens() == {"deleted": 0, "blacklist_rows_deleted": 0}
    assert OutstandingToken.objects.get() == live


def test_simplejwt_flush_command_deletes_what_the_job_deletes():
    user = UserFactory()
    outstanding(user, "old", timedelta(seconds=-5))
    live = outstanding(user, "live", timedelta(hours=1))
    call_command("flushexpiredtokens")
    assert list(OutstandingToken.objects.all()) == [live]


def test_partition_job_reports_what_it_created(caplog, capsys):
    caplog.set_level(logging.INFO, logger="meditrack.jobs")
    report = create_reading_partitions.delay().get()
    assert job_lines(caplog, "create_reading_partitions")
    call_command("create_reading_partitions", "--months-ahead", "3")
    out = capsys.readouterr().out.splitlines()
    second = json.loads(out[0])
    assert second["created"] == []  # idempotent: the task's pass already made every month
    assert out[1] == "Created 0 partition(s): -"
    if connection.vendor == "postgresql":
        assert "skipped" not in report
    else:
        assert report == {"created": [], "skipped": "not PostgreSQL: the readings table is not partitioned"}


def test_broker_folders_are_made_only_for_the_filesystem_broker(tmp_path, monkeypatch):
    folders = {key: str(tmp_path / key) for key in ("data_folder_in", "data_folder_out", "control_folder")}
    monkeypatch.setitem(app.conf, "broker_transport_options", folders)
    monkeypatch.setitem(app.conf, "beat_schedule_filename", str(tmp_path / "beat" / "beat-schedule"))
    monkeypatch.setitem(app.conf, "broker_url", "redis://elsewhere/0")
    ensure_broker_folders()  # docker compose: /app is not the app user's to write
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setitem(app.conf, "broker_url", "filesystem://")
    ensure_broker_folders()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["beat", *sorted(folders)]
