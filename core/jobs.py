"""Periodic jobs, one shape for all of them.

A job is a service function that makes one bounded, idempotent pass (a unique key or a state
check makes a second run a no-op) and returns a report: a dict of what it did
(`{"created": 3, "skipped": 1}`). Two thin doors call it through `run_job`, which logs the report:

- a Celery task (`@shared_task def generate_pm_workorders(): return run_job(...)`) that beat's
  schedule in config/settings.py (`CELERY_BEAT_SCHEDULE`) runs periodically, and
- a management command of the same name (`class Command(JobCommand)`), for cron, operators and tests.
"""

import json
import logging
import time

from django.core.management.base import BaseCommand

logger = logging.getLogger("meditrack.jobs")


def run_job(name, function, **kwargs):
    """Run one pass of a job and log what it did (one line: name, seconds, report)."""
    started = time.monotonic()
    try:
        report = function(**kwargs)
    except Exception:
        # The worker logs the traceback too; this line says which job failed and after how long.
        logger.exception("job %s failed after %.2f s", name, time.monotonic() - started)
        raise
    logger.info("job %s done in %.2f s: %s", name, time.monotonic() - started,
                json.dumps(report, default=str, sort_keys=True))
    return report


class JobCommand(BaseCommand):
    """`manage.py <job>`: runs the job once and prints its report as JSON. Subclasses set `job_name`
    and `job` (the service function) and may add arguments passed on as keyword arguments
    (`job_kwargs`); the report stays on `self.report` for a subclass that prints more."""

    job_name = None
    job = None
    report = None

    def job_kwargs(self, options):
        return {}

    def handle(self, *args, **options):
        self.report = run_job(self.job_name, type(self).job, **self.job_kwargs(options))
        self.stdout.write(json.dumps(self.report, default=str, sort_keys=True))
