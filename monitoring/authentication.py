"""`Authorization: Device <api key>`: bedside monitors authenticate for ingest, and nothing else.

Only the ingest view lists this class, so a device key on any other route is simply not a
credential there (401).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from monitoring import errors
from monitoring.models import DeviceApiKey, hash_api_key

DEVICE_PRINCIPAL = "device"  # the pseudo-role of a device key in role_rules (not a user role)
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class DevicePrincipal:
    """request.user for a device key: authenticated, with the device and its key."""

    key: DeviceApiKey
    role: str = DEVICE_PRINCIPAL
    is_authenticated: bool = True

    @property
    def pk(self):
        return f"device-{self.key.device_id}"  # per-device throttle bucket

    @property
    def device_id(self):
        return self.key.device_id

    @property
    def device(self):
        """The key's device, loaded with the key (the ingest needs no second look-up for it)."""
        return self.key.device


class DeviceKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Device"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace") != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send `Authorization: Device <api key>`."))
        raw = parts[1].decode(errors="replace")
        key = DeviceApiKey.objects.active().select_related("device").filter(key_hash=hash_api_key(raw)).first()
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked device API key."), code=errors.INVALID_API_KEY)
        now = timezone.now()
        if key.last_used_at is None or key.last_used_at < now - LAST_USED_RESOLUTION:
            DeviceApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return DevicePrincipal(key), key

    def authenticate_header(self, request):
        return self.keyword
