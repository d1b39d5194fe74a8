"""Date arithmetic of PM schedules: pure functions on dates (no database, no clock).

Month and year steps clamp to the last day of the target month: 31 Jan + 1 month is 28 Feb (29 Feb
in a leap year), and 29 Feb + 1 year is 28 Feb. The next step counts from the clamped date, so a
schedule that started on the 31st continues 28 Feb -> 28 Mar -> 28 Apr: each date is derived from
the previous due date only (the schedule keeps no "anchor day"), which makes every run's result
a function of the stored `next_due_date` alone.
"""

import calendar
from datetime import date, timedelta

from maintenance.choices import Frequency


def add_months(day: date, months: int) -> date:
    """`day` moved `months` calendar months on, clamped to the last day of the target month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def advance(day: date, frequency: str, interval: int) -> date:
    """The occurrence after `day` for a schedule repeating every `interval` x `frequency`."""
    if interval < 1:
        raise ValueError("interval must be at least 1")
    if frequency == Frequency.DAILY:
        return day + timedelta(days=interval)
    if frequency == Frequency.WEEKLY:
        return day + timedelta(weeks=interval)
    if frequency == Frequency.MONTHLY:
        return add_months(day, interval)
    if frequency == Frequency.YEARLY:
        return add_months(day, 12 * interval)
    raise ValueError(f"unknown frequency {frequency!r}")
