"""Errors under /fhir/: every one an OperationOutcome (severity, code, diagnostics) in
`application/fhir+json`, never the /api/ error shape and never HTML.

`FhirError` is raised by the views (a bad search parameter, an unknown resource); the FHIR views'
exception handler (`exception_handler`) maps it and everything DRF or Django raise (401 with its
Bearer challenge, 403, 404, 405, 406, 429, a database that is down: 503) and anything unexpected
(a logged 500). Unknown /fhir/ paths answer through `not_found` (fhir/urls.py's catch-all)."""

import json
import logging

from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from core.errors import unavailable
from fhir.resources.R4B.operationoutcome import OperationOutcome

logger = logging.getLogger("meditrack.errors")

FHIR_JSON = "application/fhir+json"

# HTTP status -> the OperationOutcome issue code (http://hl7.org/fhir/issue-type).
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 415: "not-supported", 429: "throttled", 500: "exception",
               503: "transient"}


class FhirError(exceptions.APIException):
    """A refused FHIR request: status and issue code (default: the status's, ISSUE_CODES)."""

    status_code = 400
    default_detail = "Invalid request."

    def __init__(self, diagnostics, status=400, issue_code=None):
        super().__init__(detail=diagnostics)
        self.status_code, self.issue_code = status, issue_code or ISSUE_CODES.get(status, "processing")


def outcome(status, diagnostics, issue_code=None):
    """The OperationOutcome body (a dict), validated by fhir.resources."""
    body = {"resourceType": "OperationOutcome", "issue": [{
        "severity": "error" if status < 500 else "fatal",
        "code": issue_code or ISSUE_CODES.get(status, "processing"),
        "diagnostics": diagnostics,
    }]}
    OperationOutcome.model_validate(body)
    return body


def _as_api_exception(exc):
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, exceptions.APIException):
        return exc
    return unavailable(exc)  # the database or the cache is down: 503; None for anything else


def exception_handler(exc, context):
    """The FHIR views' DRF exception handler: an OperationOutcome for every exception."""
    mapped = _as_api_exception(exc)
    request = context.get("request")
    if mapped is None:
        where = f"{request.method} {request.path}" if request is not None else "a FHIR view"
        logger.error("Unhandled error on %s", where, exc_info=exc)
        response = Response(outcome(500, "An unexpected error occurred."), status=500)
        response._has_been_logged = True
        return response
    headers = {}
    if getattr(mapped, "auth_header", None):
        headers["WWW-Authenticate"] = mapped.auth_header
    if getattr(mapped, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, int(mapped.wait)))
    detail = mapped.detail if not isinstance(mapped.detail, dict | list) else mapped.default_detail
    if isinstance(mapped, exceptions.NotFound) and not isinstance(mapped, FhirError):
        detail = "No such resource (or outside your scope)."
    response = Response(outcome(mapped.status_code, str(detail), getattr(mapped, "issue_code", None)),
                        status=mapped.status_code, headers=headers)
    response._has_been_logged = mapped.status_code == 503
    return response


def outcome_response(status, diagnostics):
    """A plain Django response (outside DRF: the unknown-path catch-all)."""
    return HttpResponse(json.dumps(outcome(status, diagnostics)), status=status,
                        content_type=f"{FHIR_JSON}; charset=utf-8")


@csrf_exempt  # every method on an unknown path is a 404, never Django's CSRF page
def not_found(request, *args, **kwargs):
    shown = request.path if len(request.path) <= 200 else request.path[:200] + "…"
    return outcome_response(404, f"No FHIR interaction is served at {shown} (see /fhir/metadata).")
