"""A local HTTP receiver (http.server on a free port, in a thread) that checks each delivery's
signature with the endpoint's secret and answers the statuses it is told to, in order."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from webhooks.models import WebhookEndpoint

SECRET = "receiver-shared-secret-0123456789"


class Receiver:
    def __init__(self):
        self.statuses = []  # answered in order; 200 once they run out; "hang": answer a second late
        self.requests = []  # SimpleNamespace(headers, body, json, signature_ok)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                receiver.requests.append(SimpleNamespace(
                    headers=dict(self.headers), body=body, json=json.loads(body),
                    signature_ok=hmac.compare_digest(expected, self.headers.get("X-MediTrack-Signature", ""))))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == "hang":
                    time.sleep(1)
                    status = 200
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):  # the sender timed out and left
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/meditrack"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


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
