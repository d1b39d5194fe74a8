"""The one error shape: {"status": "error", "code", "message", "errors"}.

Every layer ends here: DRF's exceptions, Django's ValidationError / Http404 / PermissionDenied,
ProtectedError, oversized bodies, our DomainErrors, a backing service that is down (the database or
the cache: 503 service_unavailable) and anything unexpected (a logged 500).
Views never build error bodies by hand; they raise.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.renderers import JSONRenderer

logger = logging.getLogger("meditrack.errors")

# Messages of SimpleJWT, DRF and Django that reach our answers but that their Arabic catalogues lack
# (or hold as fuzzy): marked here so that ours (locale/, looked up first) carries them.
UPSTREAM_MESSAGES = (
    gettext_noop("Token is invalid or expired"),  # SimpleJWT's 401 token_not_valid
    gettext_noop("Token is invalid"),
    gettext_noop("Token is expired"),
    gettext_noop("No active account found for the given token."),
    gettext_noop("The user's password has been changed."),
    gettext_noop("A valid biginteger is required."),  # DRF
    gettext_noop("Integer value too large to convert to float"),
    gettext_noop("The number of days must be between {min_days} and {max_days}."),
    gettext_noop("Enter a valid domain name."),  # Django's URL and e-mail validators
    # Django 5.2's password length message (its Arabic catalogue still has the old %(min_length)d one)
    ngettext_lazy("This password is too short. It must contain at least %d character.",
                  "This password is too short. It must contain at least %d characters.", "min_length"),
)


class DomainError(exceptions.APIException):
    """A business rule refused the request. Subclasses set status_code and default_code."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "domain_error"
    default_detail = gettext_lazy("The request breaks a business rule.")

    def __init__(self, message=None, code=None, errors=None):
        super().__init__(detail=message or self.default_detail, code=code or self.default_code)
        self.errors = errors or {}


class Conflict(DomainError):
    """The request conflicts with the current state of the resource (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("The request conflicts with the current state of the resource.")


class PayloadTooLarge(DomainError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = gettext_lazy("The request body is too large.")


class ServiceUnavailable(DomainError):
    """A backing service (the database, the cache) cannot be reached: 503, try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = gettext_lazy("A service this request needs is unavailable; try again in a moment.")


# Connection-level failures of the backing services. (Cache calls that are not the point of a
# request, such as throttles and login counters, degrade instead: see core.cache.best_effort.)
DATABASE_DOWN = (OperationalError, InterfaceError)
CACHE_DOWN = (RedisError,)


def unavailable(exc):
    """The 503 for a database or cache failure, or None for any other exception."""
    if isinstance(exc, DATABASE_DOWN):
        logger.warning("Database unavailable: %s", exc)
        return ServiceUnavailable(_("The database is unavailable; try again in a moment."),
                                  errors={"database": [_("The database is unavailable.")]})
    if isinstance(exc, CACHE_DOWN):
        logger.warning("Cache unavailable: %s", exc)
        return ServiceUnavailable(_("The cache (Redis), which this request needs, is unavailable; "
                                    "try again in a moment."), errors={"cache": [_("The cache is unavailable.")]})
    return None


def error_body(code, message, errors=None):
    return {"status": "error", "code": code, "message": message, "errors": errors or {}}


def _flatten(detail):
    """DRF error detail -> {field: [messages]} (non-field errors under "non_field_errors")."""
    if isinstance(detail, dict):
        return {str(field): _messages(value) for field, value in detail.items()}
    return {api_settings.NON_FIELD_ERRORS_KEY: _messages(detail)}


def _messages(value):
    if isinstance(value, dict):  # nested serializer: "child.field: message"
        return [f"{key}: {msg}" for key, inner in value.items() for msg in _messages(inner)]
    if isinstance(value, list):
        out = []
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                out.extend(f"[{index}] {msg}" for msg in _messages(item))
            else:
                out.append(str(item))
        return out
    return [str(value)]


def _validation_message(errors):
    fields = [name for name in errors if name != api_settings.NON_FIELD_ERRORS_KEY]
    if fields:
        return _("Invalid input: %(fields)s.") % {"fields": ", ".join(fields)}
    first = errors.get(api_settings.NON_FIELD_ERRORS_KEY, [])
    return first[0] if first else _("Invalid input.")


def _from_django(exc):
    """Map Django-level exceptions to their DRF counterparts."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError(exc.messages)
    if isinstance(exc, ProtectedError):
        return Conflict(_("This object is still referenced by other records and cannot be deleted."),
                        code="protected")
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    return unavailable(exc) or exc


def exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: every exception raised in a view becomes the one error shape, in
    JSON even on routes that otherwise answer a PDF, a file or YAML."""
    request = context.get("request")
    if request is not None:
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    exc = _from_django(exc)
    if not isinstance(exc, exceptions.APIException):
        # Unexpected: DRF re-raises it to core.middleware.ApiExceptionMiddleware, the one place
        # that answers (and logs, once) every unexpected error under /api/, DRF's or not.
        return None

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait)))

    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        body = error_body("validation_error", _validation_message(errors), errors)
    else:
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else str(exc.default_detail)
        code = exc.get_codes() if not isinstance(detail, dict | list) else exc.default_code
        body = error_body(code, message, getattr(exc, "errors", None))
    response = Response(body, status=exc.status_code, headers=headers)
    # One line per request: unavailable() logged the cause, so django.request does not add another.
    response._has_been_logged = isinstance(exc, ServiceUnavailable)
    return response


def json_error(status_code, code, message, errors=None):
    """A plain Django JsonResponse in the error shape (for non-DRF layers: 404/500 handlers)."""
    # Arabic (and any text) as itself, as DRF's JSONRenderer writes it, not as \u escapes.
    return JsonResponse(error_body(code, message, errors), status=status_code,
                        json_dumps_params={"ensure_ascii": False})


def unavailable_response(exc):
    """For layers outside DRF (middleware, handler500): the JSON 503 when exc is a database or
    cache failure, else None (the caller answers its 500)."""
    down = unavailable(exc)
    if down is None:
        return None
    response = json_error(down.status_code, down.default_code, str(down.detail), down.errors)
    response._has_been_logged = True  # unavailable() logged the cause
    return response
