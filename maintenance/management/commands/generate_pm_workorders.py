from datetime import date

from django.core.management.base import CommandError

from core.jobs import JobCommand
from maintenance import services


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today: {value!r} is not a date (YYYY-MM-DD).") from exc


def _positive(name):
    def parse(value):
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise CommandError(f"--{name}: give a whole number of at least 1 (got {value!r}).")
        return number

    return parse


class Command(JobCommand):
    help = ("Create the PM work orders that are due (each occurrence exactly once; bounded per run) "
            "and print the report as JSON.")
    job_name = "generate_pm_workorders"
    job = staticmethod(services.generate_pm_workorders)

    def add_arguments(self, parser):
        parser.add_argument("--today", type=_day, help="Generate as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--max-per-schedule", type=_positive("max-per-schedule"),
                            help="At most this many occurrences per schedule (default PM_MAX_OCCURRENCES_PER_RUN).")
        parser.add_argument("--max-schedules", type=_positive("max-schedules"),
                            help="At most this many schedules (default PM_MAX_SCHEDULES_PER_RUN).")

    def job_kwargs(self, options):
        return {"today": options["today"], "max_per_schedule": options["max_per_schedule"],
                "max_schedules": options["max_schedules"]}
