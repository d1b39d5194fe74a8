from datetime import date

from django.core.management.base import CommandError

from core.jobs import JobCommand
from workorders import jobs


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today: {value!r} is not a date (YYYY-MM-DD).") from exc


def _positive(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise CommandError(f"--limit: give a whole number of at least 1 (got {value!r}).")
    return number


class Command(JobCommand):
    help = ("Email each overdue work order's assignee once a day (with an in-app notification; bounded "
            "per run) and print the report as JSON.")
    job_name = "email_overdue_work_orders"
    job = staticmethod(jobs.email_overdue_work_orders)

    def add_arguments(self, parser):
        parser.add_argument("--today", type=_day, help="Run as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--limit", type=_positive,
                            help="At most this many work orders (default OVERDUE_NOTICES_MAX_PER_RUN).")

    def job_kwargs(self, options):
        return {"today": options["today"], "limit": options["limit"]}
