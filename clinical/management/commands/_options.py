"""Options shared by the clinical job commands."""
from datetime import datetime

from django.core.management.base import CommandError
from django.utils import timezone


def moment(value):
    """--now: an ISO date-time ("2026-12-01T09:00", local time unless it names its offset)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--now: {value!r} is not a date-time (YYYY-MM-DDTHH:MM[:SS][+HH:MM]).") from exc
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def positive(name):
    def parse(value):
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1:
            raise CommandError(f"--{name}: give a whole number of at least 1 (got {value!r}).")
        return number

    return parse
