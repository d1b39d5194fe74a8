"""Request ids on every response and log line; JSON errors for anything that escapes a view."""

import logging
import re
import uuid
from contextvars import ContextVar

from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from core.errors import json_error, unavailable_response

logger = logging.getLogger("meditrack.errors")

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# The request being served, for the log lines' user and route (read when a line is written).
_request: ContextVar = ContextVar("log_request", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id():
    """The id of the request (or job run) this code serves, or None outside one."""
    value = _request_id.get()
    return None if value == "-" else value


def set_request_id(value):
    """Name the unit of work the log lines and audit entries that follow belong to (a job run)."""
    _request_id.set(value)
    _request.set(None)


def _user_id(request):
    """The signed-in user's id once known, else None. Read, never evaluated: Django's lazy session
    user is left alone until something else asks (a log line must not query the database), and DRF
    sets the real user on the request when it authenticates, inside the view. A device key is no user."""
    user = request.__dict__.get("user") if request is not None else None
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is None or not getattr(user, "is_authenticated", False) or not isinstance(getattr(user, "pk", None), int):
        return None
    return user.pk


def _route(request):
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else None


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
        request = _request.get()
        record.user_id, record.route = _user_id(request), _route(request)
        return True


class ClientErrorTracebackFilter(logging.Filter):
    """A refused request (4xx) is one line, not a traceback: Django logs an admin 403 or a 404 with
    the exception that raised it, which says nothing an operator needs. 5xx keep theirs."""

    def filter(self, record):
        if record.name == "django.request" and getattr(record, "status_code", 500) < 500:
            record.exc_info, record.exc_text = None, None
        return True


class RequestIdMiddleware:
    """Accepts a sane incoming X-Request-ID (from the proxy) or makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Not reset on the way out: Django logs a failed request after the middleware returns, and
        # that line should carry the id too. The next request in this thread sets its own.
        _request_id.set(request_id)
        _request.set(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class ApiExceptionMiddleware:
    """The one place an unexpected exception under /api/ becomes an answer: DRF's handler maps the
    exceptions it knows and re-raises the rest to here, as do plain Django views. A database or
    cache failure is a 503, anything else a 500; logged once (with its traceback and the request
    id), and the response is marked logged so django.request does not log it again. With DEBUG on
    this also keeps Django's HTML/plain-text traceback page away from /api/."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        response = unavailable_response(exception)  # database or cache down: 503, not a 500
        if response is None:
            logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
            response = json_error(500, "server_error", _("An unexpected error occurred."))
            response._has_been_logged = True  # Django's log_response: no second line
        return response
