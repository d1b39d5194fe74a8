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

from core.errors import CACHE_DOWN

logger = logging.getLogger("meditrack.cache")


def best_effort(default=None):
    """Decorator: on a cache failure, log a warning and return `default` instead of raising."""

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except CACHE_DOWN as exc:
                logger.warning("cache unavailable, %s skipped: %s", func.__qualname__, exc)
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
