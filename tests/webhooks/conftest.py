"""A local HTTP receiver (http.server on a free port, in a thread) that checks each delivery's
signature with the endpoint's secret and answers the statuses it is told to, in order."""

import hashlib
import hmac
import json
import time
from types import SimpleNamespace

import pytest

from core.testing import LocalHTTPServer
from webhooks.models import WebhookEndpoint

SECRET = "receiver-shared-secret-0123456789"


class Receiver(LocalHTTPServer):
    path = "/hooks/meditrack"

    def __init__(self):
        self.statuses = []  # answered in order; 200 once they run out; "hang": answer a second late
        self.requests = []  # SimpleNamespace(headers, body, json, signature_ok)
        super().__init__()

    def answer(self, request):
        body = request.rfile.read(int(request.headers["Content-Length"]))
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.requests.append(SimpleNamespace(
            headers=dict(request.headers), body=body, json=json.loads(body),
            signature_ok=hmac.compare_digest(expected, request.headers.get("X-MediTrack-Signature", ""))))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == "hang":
            time.sleep(1)
            status = 200
        try:
            request.send_response(status)
            request.send_header("Content-Length", "2")
            request.end_headers()
            request.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):  # the sender timed out and left
            pass


@pytest.fixture
def receiver(settings):
    settings.DEBUG = True  # http:// endpoints only with DEBUG on
    with Receiver() as running:
        yield running


@pytest.fixture
def endpoint_for(db, receiver):
    def make(event_types=("workorder.created", "workorder.status_changed"), **fields):
        fields = {"url": receiver.url, "secret": SECRET, "event_types": list(event_types), **fields}
        return WebhookEndpoint.objects.create(**fields)

    return make
