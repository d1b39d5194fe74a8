"""Failed-login throttling per account and per client address (fixed window in the cache).

The account counter is keyed on the account when the identifier names one (so its username and
its email share one limit), else on the identifier. Counters use cache.add + cache.incr, which are
atomic on Redis, so concurrent failures all count.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled


def subject(identifier, user):
    return f"account:{user.pk}" if user is not None else f"name:{identifier.strip().lower()}"


def _counters(subject, address):
    return [
        (f"login-fail:{subject}", settings.LOGIN_FAILURES_PER_USERNAME),
        (f"login-fail:addr:{address}", settings.LOGIN_FAILURES_PER_ADDRESS),
    ]


def check_not_locked(subject, address):
    for key, limit in _counters(subject, address):
        if (cache.get(key) or 0) >= limit:
            until = cache.get(f"{key}:until") or time.time() + 1
            raise Throttled(wait=max(1, int(until - time.time())),
                            detail="Too many failed logins. Try again later.")


def record_failure(subject, address):
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for key, _limit in _counters(subject, address):
        if cache.add(key, 0, window):
            cache.set(f"{key}:until", time.time() + window, window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr: start a new window
            cache.set(key, 1, window)
            cache.set(f"{key}:until", time.time() + window, window)


def clear_failures(subject):
    key = f"login-fail:{subject}"
    cache.delete_many([key, f"{key}:until"])
