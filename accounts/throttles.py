"""Throttles for the public code-sending route: per email and per client address.

Rates read "N/<count><unit>" (e.g. "10/10m"): DRF's own parser only knows one unit. Like every
throttle here they degrade (let the request through) when the cache is down; the route itself then
answers 503, since one-time codes live in the cache.
"""

import re

from core.throttling import SimpleRateThrottle

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])")


class WindowRateThrottle(SimpleRateThrottle):
    def parse_rate(self, rate):
        if rate is None:
            return None, None
        match = _RATE.match(rate)
        if not match:
            raise ValueError(f"Bad throttle rate {rate!r}; use e.g. '10/10m'.")
        count, multiple, unit = match.groups()
        return int(count), int(multiple or 1) * _UNIT_SECONDS[unit]


class OtpEmailThrottle(WindowRateThrottle):
    scope = "otp_email"

    def get_cache_key(self, request, view):
        email = str(request.data.get("email", "")).strip().lower() if hasattr(request.data, "get") else ""
        return self.cache_format % {"scope": self.scope, "ident": email} if email else None


class OtpAddressThrottle(WindowRateThrottle):
    scope = "otp_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
