import argparse
from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.jobs import JobCommand
from monitoring.escalation import escalate_alerts


def aware_datetime(value):
    """An ISO 8601 datetime; one without an offset is read in UTC."""
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO 8601 datetime (e.g. 2026-12-01T14:05:00+00:00)")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


class Command(JobCommand):
    help = (
        "Escalate open alerts nobody acknowledged in time (critical 5 minutes, warning 15; idempotent). "
        "The same pass as the Celery beat job that runs every minute; prints its report."
    )
    job_name = "escalate_alerts"
    job = staticmethod(escalate_alerts)

    def add_arguments(self, parser):
        parser.add_argument("--now", type=aware_datetime, default=None,
                            help="Decide as if it were this instant (ISO 8601; default: now).")
        parser.add_argument("--limit", type=int, default=None,
                            help="At most this many alerts (default ALERT_ESCALATION_MAX_PER_RUN, 1000).")

    def job_kwargs(self, options):
        return {"now": options["now"], "limit": options["limit"]}
