"""Failed-login throttling per account and per client address (fixed window in the cache).

One lock for both doors: the API's login (accounts.services.login) and Django's authenticate()
(accounts.backends.LoginGuardBackend, which Django admin's login goes through) read and write the
same counters.

The account counter is keyed on the account when the identifier names one (so its username and
its email share one limit), else on the identifier. Counters use cache.add + cache.incr, which are
atomic on Redis, so concurrent failures all count. When the cache is down the guard degrades: a
warning is logged and logins go through unthrottled (core.cache.best_effort).
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from core.cache import best_effort

LOCKED_MESSAGE = gettext_lazy("Too many failed logins. Try again later.")


def subject(identifier, user):
    if user is not None:
        return f"account:{user.pk}"
    # Unknown identifiers: hashed, so any text gives a short key that every cache accepts.
    return "name:" + hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]


def client_address(request):
    """The client address used by every throttle (honours NUM_PROXIES); any Django or DRF request."""
    return BaseThrottle().get_ident(request)


def _counters(subject, address):
    counters = [(f"login-fail:{subject}", settings.LOGIN_FAILURES_PER_USERNAME)]
    if address is not None:  # authenticate() called without a request has no address
        counters.append((f"login-fail:addr:{address}", settings.LOGIN_FAILURES_PER_ADDRESS))
    return counters


@best_effort(default=None)
def locked_for(subject, address):
    """Seconds until the account or the address may try again, or None when neither is locked."""
    for key, limit in _counters(subject, address):
        if (cache.get(key) or 0) >= limit:
            until = cache.get(f"{key}:until") or time.time() + 1
            return max(1, int(until - time.time()))
    return None


def check_not_locked(subject, address):
    wait = locked_for(subject, address)
    if wait is not None:
        raise Throttled(wait=wait, detail=str(LOCKED_MESSAGE))  # DRF joins it with a str


@best_effort()
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


@best_effort()
def clear_failures(subject):
    key = f"login-fail:{subject}"
    cache.delete_many([key, f"{key}:until"])
