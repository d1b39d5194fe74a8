"""`Authorization: Bearer <access JWT>`, and an answer that says so to anyone sending another scheme.

SimpleJWT ignores a header whose scheme it does not know (`Token …`, `JWT …`, `bearer …`), so DRF
answers "Authentication credentials were not provided." although the caller did send some. This
class (the default of every route) refuses such a header with a message naming the scheme to send.
A scheme another authenticator of the same route accepts (`Device` on ingest) is left to it.
"""

from django.utils.translation import gettext as _
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
        bearer = _("send `Authorization: %(scheme)s <access token>`") % {"scheme": jwt_settings.AUTH_HEADER_TYPES[0]}
        if scheme == DEVICE_SCHEME:
            return _("Device API keys are accepted on %(route)s only: %(bearer)s here.") % {
                "route": DEVICE_ROUTE, "bearer": bearer}
        return _("Unknown Authorization scheme '%(scheme)s': %(bearer)s (from POST /api/auth/login/). "
                 "Bedside devices send `%(device)s <api key>`, on %(route)s only.") % {
            "scheme": scheme[:20], "bearer": bearer, "device": DEVICE_SCHEME, "route": DEVICE_ROUTE}


class BearerAuthenticationScheme(SimpleJWTScheme):
    """drf-spectacular documents the subclass exactly as SimpleJWT's own (bearer JWT)."""

    target_class = "core.authentication.BearerAuthentication"
