"""advance(): calendar arithmetic with month-end clamping (pure: no database)."""

from datetime import date

import pytest

from maintenance.choices import Frequency
from maintenance.recurrence import add_months, advance


@pytest.mark.parametrize(("start", "frequency", "interval", "expected"), [
    (date(2027, 1, 31), Frequency.MONTHLY, 1, date(2027, 2, 28)),
    (date(2028, 1, 31), Frequency.MONTHLY, 1, date(2028, 2, 29)),  # leap year
    (date(2027, 2, 28), Frequency.MONTHLY, 1, date(2027, 3, 28)),  # counts on from the clamped date
    (date(2027, 3, 31), Frequency.MONTHLY, 1, date(2027, 4, 30)),
    (date(2027, 1, 31), Frequency.MONTHLY, 3, date(2027, 4, 30)),
    (date(2027, 11, 30), Frequency.MONTHLY, 2, date(2028, 1, 30)),  # across the year end
    (date(2027, 12, 31), Frequency.MONTHLY, 14, date(2029, 2, 28)),
    (date(2028, 2, 29), Frequency.YEARLY, 1, date(2029, 2, 28)),
    (date(2028, 2, 29), Frequency.YEARLY, 4, date(2032, 2, 29)),
    (date(2027, 6, 15), Frequency.YEARLY, 2, date(2029, 6, 15)),
    (date(2027, 12, 29), Frequency.WEEKLY, 1, date(2028, 1, 5)),
    (date(2027, 2, 22), Frequency.WEEKLY, 3, date(2027, 3, 15)),
    (date(2027, 12, 31), Frequency.DAILY, 1, date(2028, 1, 1)),
    (date(2028, 2, 27), Frequency.DAILY, 2, date(2028, 2, 29)),
    (date(2027, 1, 1), Frequency.DAILY, 365, date(2028, 1, 1)),
])
def test_advance(start, frequency, interval, expected):
    assert advance(start, frequency, interval) == expected


def test_a_chain_from_the_31st_stays_on_the_clamped_day():
    day, seen = date(2027, 1, 31), []
    for _ in range(4):
        day = advance(day, Frequency.MONTHLY, 1)
        seen.append(day)
    assert seen == [date(2027, 2, 28), date(2027, 3, 28), date(2027, 4, 28), date(2027, 5, 28)]


def test_add_months_backwards_and_zero():
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)
    assert add_months(date(2027, 3, 31), 0) == date(2027, 3, 31)


@pytest.mark.parametrize(("frequency", "interval"), [("hourly", 1), (Frequency.DAILY, 0)])
def test_advance_refuses_what_a_schedule_cannot_hold(frequency, interval):
    with pytest.raises(ValueError):
        advance(date(2027, 1, 1), frequency, interval)
