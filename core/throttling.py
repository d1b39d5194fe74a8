"""DRF throttles that degrade when the cache is down: a warning is logged and the request goes
through (rate limiting is a guard, not the point of any route). Use these, never DRF's own."""

from rest_framework import throttling

from core.cache import best_effort


class DegradingThrottleMixin:
    @best_effort(default=True)
    def allow_request(self, request, view):
        return super().allow_request(request, view)


class SimpleRateThrottle(DegradingThrottleMixin, throttling.SimpleRateThrottle):
    pass


class AnonRateThrottle(DegradingThrottleMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(DegradingThrottleMixin, throttling.UserRateThrottle):
    pass
