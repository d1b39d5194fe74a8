"""Request ids on every response and log line; JSON errors for anything that escapes a view."""

import logging
import re
import uuid
from contextvars import ContextVar

from core.errors import json_error, unavailable_response

logger = logging.getLogger("meditrack.errors")

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        record.request_id = _request_id.get()
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
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class ApiExceptionMiddleware:
    """Last line of defence: an exception outside DRF's handler under /api/ still answers JSON."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        down = unavailable_response(exception)  # database or cache down: 503, not a 500
        if down is not None:
            return down
        logger.exception("Unhandled error on %s", request.path)
        return json_error(500, "server_error", "An unexpected error occurred.")
