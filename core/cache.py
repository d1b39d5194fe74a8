"""The cache (Redis in production) when it is down or hung, in one place.

- Where the cache is not the point of the request (throttles, failed-login counters), a cache
  failure degrades: `best_effort` logs a warning and lets the request through.
- Where it is the point (one-time codes), the failure propagates and core.errors answers 503
  `service_unavailable`.
- Every call is bounded by the socket timeouts in settings (REDIS_SOCKET_TIMEOUT), so a hung Redis
  costs about a second, not a worker.
"""

import functools
import logging
import time

from core.errors import CACHE_DOWN

logger = logging.getLogger("meditrack.cache")


# After a failure, best-effort calls in this process skip the cache for a few seconds instead of
# each waiting for the socket timeout again (a request checks two throttles, a login three counters).
SKIP_AFTER_FAILURE_SECONDS = 5.0
_skip_until = 0.0


def reset():
    """Forget an earlier failure (tests)."""
    global _skip_until
    _skip_until = 0.0


def best_effort(default=None):
    """Decorator: on a cache failure, log a warning and return `default` instead of raising; for
    SKIP_AFTER_FAILURE_SECONDS after one, return `default` at once."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            global _skip_until
            if time.monotonic() < _skip_until:
                return default
            try:
                return func(*args, **kwargs)
            except CACHE_DOWN as exc:
                _skip_until = time.monotonic() + SKIP_AFTER_FAILURE_SECONDS
                logger.warning("cache unavailable, %s skipped (and cache guards for %.0f s): %s",
                               func.__qualname__, SKIP_AFTER_FAILURE_SECONDS, exc)
                return default

        return wrapper

    return decorate


def clear_own_keys(cache):
    """Delete this cache's keys only (those under its KEY_PREFIX), never the whole Redis database
    (`cache.clear()` on Redis is FLUSHDB, whatever the prefix). Other caches: `clear()`."""
    client_factory = getattr(cache, "_cache", None)
    if client_factory is None or not hasattr(client_factory, "get_client"):
        cache.clear()
        return
    client = client_factory.get_client(write=True)
    pattern = _glob_escape(cache.key_prefix) + ":*"
    batch = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)


def _glob_escape(text):
    return "".join(f"\\{char}" if char in "*?[]\\" else char for char in text)
