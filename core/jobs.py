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
import uuid
from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.metrics import JOB_RUNS
from core.middleware import set_request_id

logger = logging.getLogger("meditrack.jobs")


def run_job(name, function, **kwargs):
    """Run one pass of a job, log what it did (one line: name, seconds, report) and count it
    (meditrack_job_runs_total{job, outcome="ok"|"failed"}, in this process: the jobs worker's)."""
    started = time.monotonic()
    # Its log lines and audit entries carry one id per run, as a request's do.
    set_request_id(f"job-{name}-{uuid.uuid4().hex[:12]}")
    try:
        report = function(**kwargs)
    except Exception:
        # The worker logs the traceback too; this line says which job failed and after how long.
        logger.exception("job %s failed after %.2f s", name, time.monotonic() - started)
        JOB_RUNS.labels(job=name, outcome="failed").inc()
        raise
    JOB_RUNS.labels(job=name, outcome="ok").inc()
    logger.info("job %s done in %.2f s: %s", name, time.monotonic() - started,
                json.dumps(report, default=str, sort_keys=True))
    return report


def parse_day(value):
    """--today: a date (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today: {value!r} is not a date (YYYY-MM-DD).") from exc


def parse_moment(value):
    """--now: an ISO 8601 date-time; one without an offset is in the server's time zone (TIME_ZONE)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: {value!r} is not a date-time (ISO 8601, e.g. 2026-12-01T14:00:00Z).") from exc
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def positive(name):
    """A whole number of at least 1 for --<name>."""
    def parse(value):
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise CommandError(f"--{name}: give a whole number of at least 1 (got {value!r}).")
        return number

    return parse


class JobCommand(BaseCommand):
    """`manage.py <job>`: runs the job once and prints its report as JSON. Subclasses set `job_name`
    and `job` (the service function), and `job_options`: which of the standard options the job's
    function takes as keyword arguments, "now" (an ISO date-time), "today" (a date) and "limit" (at
    most this many rows; `limit_help` says which and its default). A job with options of its own
    adds them in `add_arguments` and `job_kwargs`. The report stays on `self.report`."""

    job_name = None
    job = None
    job_options = ()
    limit_help = "At most this many rows this run."
    report = None

    def add_arguments(self, parser):
        if "now" in self.job_options:
            parser.add_argument("--now", type=parse_moment, help="Run as if it were this moment (ISO 8601).")
        if "today" in self.job_options:
            parser.add_argument("--today", type=parse_day, help="Run as if today were this date (YYYY-MM-DD).")
        if "limit" in self.job_options:
            parser.add_argument("--limit", type=positive("limit"), help=self.limit_help)

    def job_kwargs(self, options):
        return {name: options[name] for name in self.job_options}

    def handle(self, *args, **options):
        self.report = run_job(self.job_name, type(self).job, **self.job_kwargs(options))
        self.stdout.write(json.dumps(self.report, default=str, sort_keys=True))
