"""Background-work settings from the environment, each read by a fresh interpreter (settings load
once per process): which broker, eager or not, the beat schedule and the PM generator's bounds."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "CELERY_BEAT_SCHEDULE", "CELERY_BEAT_SCHEDULE_FILENAME",
         "CELERY_BROKER_TRANSPORT_OPTIONS", "PM_MAX_OCCURRENCES_PER_RUN", "PM_MAX_SCHEDULES_PER_RUN",
         "JOBS_RUN_AT_START")
CLEARED = ("REDIS_URL", "MEDITRACK_JOBS_WORKER", "JOBS_RUN_AT_START", "CELERY_TASK_ALWAYS_EAGER", "JOB_SCHEDULE",
           "JOBS_DIR",
           "PM_MAX_OCCURRENCES_PER_RUN", "PM_MAX_SCHEDULES_PER_RUN", "DJANGO_SETTINGS_MODULE")


def run_settings(**env):
    base = {key: value for key, value in os.environ.items() if key not in CLEARED}
    code = (
        "import json, environ\n"
        "environ.Env.read_env = staticmethod(lambda *a, **k: None)\n"  # a developer's .env must not leak in
        "from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name) for name in {NAMES!r}}}, default=str))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )


def load(**env):
    result = run_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_redis_the_web_process_runs_tasks_eagerly():
    loaded = load()
    assert loaded["CELERY_BROKER_URL"] == "memory://"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True
    assert loaded["JOBS_RUN_AT_START"] is False
    assert loaded["CELERY_BEAT_SCHEDULE_FILENAME"] == str(ROOT / "var" / "celery" / "beat-schedule")


def test_the_make_run_worker_uses_the_filesystem_broker_and_is_not_eager(tmp_path):
    loaded = load(MEDITRACK_JOBS_WORKER="1", JOBS_DIR=str(tmp_path))
    assert loaded["CELERY_BROKER_URL"] == "filesystem://"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False  # else beat would run each job in the scheduler
    assert loaded["JOBS_RUN_AT_START"] is True
    options = loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]
    # The worker reads the folder beat writes to.
    assert options["data_folder_in"] == options["data_folder_out"] == str(tmp_path / "queue")
    assert loaded["CELERY_BEAT_SCHEDULE_FILENAME"] == str(tmp_path / "beat-schedule")


def test_with_redis_every_process_uses_redis_and_nothing_is_eager():
    for extra in ({}, {"MEDITRACK_JOBS_WORKER": "1"}):
        loaded = load(REDIS_URL="redis://127.0.0.1:6379/15", **extra)
        assert loaded["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/15"
        assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False
        assert loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]["socket_timeout"] > 0


def test_operators_change_a_job_interval_or_turn_a_job_off():
    default = load()["CELERY_BEAT_SCHEDULE"]
    assert default["flush-expired-tokens"]["schedule"] == 24 * 3600
    assert default["generate-pm-workorders"] == {"task": "maintenance.tasks.generate_pm_workorders", "schedule": 3600}
    changed = load(JOB_SCHEDULE="flush-expired-tokens=600, create-reading-partitions=off")["CELERY_BEAT_SCHEDULE"]
    assert changed["flush-expired-tokens"] == {"task": "accounts.tasks.flush_expired_tokens", "schedule": 600}
    assert "create-reading-partitions" not in changed
    assert set(changed) == set(default) - {"create-reading-partitions"}


@pytest.mark.parametrize("spec, message", [
    ("no-such-job=60", "unknown job 'no-such-job'"),
    ("flush-expired-tokens=0", "needs a number of seconds or 'off'"),
    ("flush-expired-tokens=soon", "needs a number of seconds or 'off'"),
])
def test_a_bad_job_schedule_refuses_to_start(spec, message):
    result = run_settings(JOB_SCHEDULE=spec)
    assert result.returncode != 0
    assert "JOB_SCHEDULE" in result.stderr and message in result.stderr


def test_pm_generator_bounds_come_from_the_environment():
    assert {k: v for k, v in load().items() if k.startswith("PM_")} == {
        "PM_MAX_OCCURRENCES_PER_RUN": 10, "PM_MAX_SCHEDULES_PER_RUN": 10000,
    }
    loaded = load(PM_MAX_OCCURRENCES_PER_RUN="3", PM_MAX_SCHEDULES_PER_RUN="50")
    assert (loaded["PM_MAX_OCCURRENCES_PER_RUN"], loaded["PM_MAX_SCHEDULES_PER_RUN"]) == (3, 50)
