from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone

from core.jobs import JobCommand
from monitoring import stale


def _moment(value):
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: {value!r} is not a date and time (ISO 8601, e.g. 2026-12-01T14:00:00Z).") from exc
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _positive(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise CommandError(f"--limit: give a whole number of at least 1 (got {value!r}).")
    return number


class Command(JobCommand):
    help = ("Silent monitors: raise one technical alert, corrective work order and downtime for each assigned "
            "monitor that has sent nothing for MONITOR_STALE_SECONDS, and close them when data flows again "
            "(idempotent; bounded per run). Prints the report as JSON.")
    job_name = "check_stale_monitors"
    job = staticmethod(stale.check_stale_monitors)

    def add_arguments(self, parser):
        parser.add_argument("--now", type=_moment,
                            help="Judge silence as if it were this time (ISO 8601; naive = server time zone).")
        parser.add_argument("--limit", type=_positive,
                            help="At most this many monitors each way (default MONITOR_STALE_MAX_PER_RUN, 500).")

    def job_kwargs(self, options):
        return {"now": options["now"], "limit": options["limit"]}
