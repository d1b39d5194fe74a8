"""Puts the current request where audit entries look for their actor, and writes the request's
read entries before its response leaves (audit.reads). A response whose reads cannot be recorded
is not sent: the database being down answers 503, as any other database failure. A refused
response (>= 400) records nothing: it disclosed nothing."""

from django.db import DatabaseError

from audit import reads
from audit.context import reset_current_request, set_current_request
from core.errors import unavailable_response


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_token, reads_token = set_current_request(request), reads.start()
        try:
            response = self.get_response(request)
            if response.status_code < 400:  # a refused read disclosed nothing
                try:
                    reads.flush()
                except DatabaseError as exc:
                    fallback = unavailable_response(exc)
                    if fallback is None:
                        raise
                    return fallback
            return response
        finally:
            reads.discard(reads_token)
            reset_current_request(request_token)
