"""`Authorization: Bearer <access JWT>`, and an answer that says so to anyone sending another scheme.

SimpleJWT ignores a header whose scheme it does not know (`Token …`, `JWT …`, `bearer …`), so DRF
answers "Authentication credentials were not provided." although the caller did send some. This
class (the default of every route) refuses such a header with a message naming the scheme to send.
A scheme another authenticator of the same route accepts (`Device` on ingest) is left to it.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings

DEVICE_SCHEME = "Device"  # monitoring.authentication.DeviceKeyAuthentication.keyword
DEVICE_ROUTE = "POST /api/records/"


def _accepted_schemes(request):
    schemes = set()
    for authenticator in getattr(request, "authenticators", ()):
        if isinstance(authenticator, JWTAuthentication):
            schemes.update(jwt_settings.AUTH_HEADER_TYPES)
        elif getattr(authenticator, "keyword", None):
            schemes.add(authenticator.keyword)
    return schemes


class BearerAuthentication(JWTAuthentication):
    def authenticate(self, request):
        header = self.get_header(request)
        parts = header.split() if header else []
        if parts:
            scheme = parts[0].decode("latin-1")
            if scheme not in _accepted_schemes(request):
                raise AuthenticationFailed(self._advice(scheme), code="not_authenticated")
            if scheme not in jwt_settings.AUTH_HEADER_TYPES:
                return None  # another authenticator of this route takes it
        return super().authenticate(request)

    @staticmethod
    def _advice(scheme):
        bearer = f"send `Authorization: {jwt_settings.AUTH_HEADER_TYPES[0]} <access token>`"
        if scheme == DEVICE_SCHEME:
            return f"Device API keys are accepted on {DEVICE_ROUTE} only: {bearer} here."
        return (f"Unknown Authorization scheme '{scheme[:20]}': {bearer} (from POST /api/auth/login/). "
                f"Bedside devices send `{DEVICE_SCHEME} <api key>`, on {DEVICE_ROUTE} only.")


class BearerAuthenticationScheme(SimpleJWTScheme):
    """drf-spectacular documents the subclass exactly as SimpleJWT's own (bearer JWT)."""

    target_class = "core.authentication.BearerAuthentication"
