"""What an endpoint may be: on the model's fields, so the API and Django admin check the same rules."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webhooks.choices import EventType

HTTPS_ONLY = gettext_lazy("Use an https:// URL (http:// is accepted only with DEBUG on).")
NO_CREDENTIALS = gettext_lazy("Put no user name or password in the URL: receivers verify the signature instead.")


def allowed_schemes():
    return ("https", "http") if settings.DEBUG else ("https",)


def validate_webhook_url(value):
    parts = urlsplit(value)
    if parts.scheme.lower() not in allowed_schemes():
        raise ValidationError(HTTPS_ONLY, code="invalid")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(NO_CREDENTIALS, code="invalid")


def validate_event_types(value):
    allowed = set(EventType.values)
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Choose at least one event type."), code="required")
    unknown = [item for item in value if item not in allowed]
    if unknown:
        raise ValidationError(_("Unknown event type %(type)r; choose among %(choices)s.")
                              % {"type": unknown[0], "choices": ", ".join(EventType.values)}, code="invalid_choice")
    if len(set(value)) != len(value):
        raise ValidationError(_("Each event type once."), code="duplicate")
