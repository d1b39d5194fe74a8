"""The sane range of a device's dates, one definition for the API's serializers, devices.services and
Django admin's form. A date outside it is a typo (2062 for 2026), not a plan: a 400 naming the field.

- `last_calibration_date`, `last_inventory_date`: what happened, so today at the latest (the
  hospital's local date).
- `next_calibration_due`: at most 10 years ahead (no calibration interval is longer).
- `warranty_expires`: at most 50 years ahead (a "lifetime" warranty still has an end date)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

PAST_ONLY = ("last_calibration_date", "last_inventory_date")
MAX_YEARS_AHEAD = {"next_calibration_due": 10, "warranty_expires": 50}


def years_after(day, years):
    """`day` + `years` calendar years (29 February -> 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def date_error(name, value, today=None):
    """The message for a date out of its range, or None (None for an empty date or another field)."""
    if not isinstance(value, datetime.date):
        return None
    today = today or timezone.localdate()
    if name in PAST_ONLY and value > today:
        return _("This date cannot be in the future (%(date)s is after today, %(today)s).") % {
            "date": value.isoformat(), "today": today.isoformat()}
    if name in MAX_YEARS_AHEAD and value > years_after(today, MAX_YEARS_AHEAD[name]):
        years = MAX_YEARS_AHEAD[name]
        return _("This date cannot be more than %(years)s years ahead (%(date)s is after %(limit)s).") % {
            "years": years, "date": value.isoformat(), "limit": years_after(today, years).isoformat()}
    return None


def date_errors(fields, today=None):
    """{field: [message]} for every date in `fields` out of its range."""
    today = today or timezone.localdate()
    errors = {name: date_error(name, value, today) for name, value in fields.items()}
    return {name: [message] for name, message in errors.items() if message}
