"""Celery application.

The broker follows the environment (config/settings.py "Background work"): Redis when REDIS_URL is
set; without it, kombu's filesystem transport under JOBS_DIR for the worker that `make run` starts
(MEDITRACK_JOBS_WORKER=1), and eager in-process tasks everywhere else. Beat's schedule is
CELERY_BEAT_SCHEDULE in the settings; docs/jobs.md lists the jobs.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import beat_init, worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("meditrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_broker_folders():
    """The filesystem broker's folders and beat's schedule folder under JOBS_DIR (kombu creates none
    of them). Only with the filesystem broker: elsewhere (docker compose) the schedule lives where
    `--schedule` says, and the app user may not write under /app."""
    if app.conf.broker_url != "filesystem://":
        return
    options = app.conf.broker_transport_options or {}
    folders = [options[key] for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
               if key in options]
    folders.append(str(Path(app.conf.beat_schedule_filename).parent))
    for folder in folders:
        Path(folder).mkdir(parents=True, exist_ok=True)


@worker_init.connect
@beat_init.connect
def _create_folders(**kwargs):
    ensure_broker_folders()


@worker_ready.connect
def _run_jobs_at_start(sender=None, **kwargs):
    """JOBS_RUN_AT_START (the `make run` worker): queue every scheduled job once, now."""
    from django.conf import settings

    if getattr(settings, "JOBS_RUN_AT_START", False):
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            app.send_task(entry["task"])
