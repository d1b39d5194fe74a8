"""Throttles for the public code-sending route: per email and per client address."""

from rest_framework.throttling import SimpleRateThrottle


class OtpEmailThrottle(SimpleRateThrottle):
    scope = "otp_email"

    def get_cache_key(self, request, view):
        email = str(request.data.get("email", "")).strip().lower() if hasattr(request.data, "get") else ""
        return self.cache_format % {"scope": self.scope, "ident": email} if email else None


class OtpAddressThrottle(SimpleRateThrottle):
    scope = "otp_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
