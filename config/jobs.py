"""The periodic jobs and the embedded broker's layout: the constant parts of config/settings.py's
"Background work" (the environment picks among them there)."""

from django.core.exceptions import ImproperlyConfigured

# Periodic jobs: every one is idempotent, bounded per run, logs its report (core.jobs.run_job) and is
# also a management command (docs/jobs.md lists them). Intervals in seconds.
DEFAULT_JOB_INTERVALS = {
    "escalate-alerts": 60,
    "check-stale-monitors": 60,
    "mark-no-shows": 5 * 60,
    "send-appointment-reminders": 15 * 60,
    "generate-pm-workorders": 3600,
    "email-overdue-work-orders": 3600,  # sends from 07:00 local, once a day per work order
    "flush-expired-tokens": 24 * 3600,
    "create-reading-partitions": 24 * 3600,
    "retry-webhook-deliveries": 60,  # the due retries of failed webhook deliveries
}
JOB_TASKS = {
    "escalate-alerts": "monitoring.tasks.escalate_alerts",
    "check-stale-monitors": "monitoring.tasks.check_stale_monitors",
    "mark-no-shows": "clinical.tasks.mark_no_shows",
    "send-appointment-reminders": "clinical.tasks.send_appointment_reminders",
    "generate-pm-workorders": "maintenance.tasks.generate_pm_workorders",
    "email-overdue-work-orders": "workorders.tasks.email_overdue_work_orders",
    "flush-expired-tokens": "accounts.tasks.flush_expired_tokens",
    "create-reading-partitions": "monitoring.tasks.create_reading_partitions",
    "retry-webhook-deliveries": "webhooks.tasks.retry_webhook_deliveries",
}


def job_intervals(spec, default=None):
    """JOB_SCHEDULE="generate-pm-workorders=600,flush-expired-tokens=off": operators change a job's
    interval (seconds) or turn it off without touching the code."""
    intervals = dict(DEFAULT_JOB_INTERVALS if default is None else default)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition("=")
        name, value = name.strip(), value.strip().lower()
        if name not in intervals:
            raise ImproperlyConfigured(f"JOB_SCHEDULE: unknown job {name!r} (known: {', '.join(sorted(intervals))}).")
        if value == "off":
            intervals[name] = None
        elif value.isdigit() and int(value) > 0:
            intervals[name] = int(value)
        else:
            raise ImproperlyConfigured(f"JOB_SCHEDULE: {name} needs a number of seconds or 'off', not {value!r}.")
    return intervals


def beat_schedule(intervals):
    """CELERY_BEAT_SCHEDULE: every job that is not off, at its interval."""
    return {name: {"task": JOB_TASKS[name], "schedule": seconds} for name, seconds in intervals.items() if seconds}


def filesystem_broker_options(jobs_dir):
    """kombu's filesystem transport for `make run`'s worker. One folder holds the queued messages (kombu
    reads and writes the same place); processed messages are deleted, not archived. config.celery
    creates the folders when the worker starts."""
    return {
        "data_folder_in": str(jobs_dir / "queue"),
        "data_folder_out": str(jobs_dir / "queue"),
        "control_folder": str(jobs_dir / "control"),
        "processed_folder": str(jobs_dir / "processed"),
        "store_processed": False,
        "polling_interval": 1,
    }


def redis_broker_options(socket_timeout):
    """Bounded broker calls: queuing a task with Redis down or hung fails within a few seconds."""
    return {"socket_connect_timeout": socket_timeout, "socket_timeout": socket_timeout, "max_retries": 1}
