"""Helpers shared by every app's tests."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def authenticated_client(user):
    """An APIClient sending the user's bearer token (the client remembers `.user`)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    client.user = user
    return client


def assert_error(response, status_code, code=None, fields=()):
    """The one error shape, with the expected status, code and the fields named."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) >= {"status", "code", "message", "errors"}, body
    assert body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    if code is not None:
        assert body["code"] == code, body
    for field in fields:
        assert field in body["errors"], body
    return body


class LocalHTTPServer:
    """A real HTTP peer for a test (an SMS gateway, a webhook receiver): http.server on a free
    loopback port, in a thread. A subclass answers each POST in `answer(request)` (the handler:
    headers, rfile, send_response...); `with Peer() as peer:` serves at `peer.url` (+ `path`)."""

    path = "/"

    def __init__(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                peer.answer(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def answer(self, request):
        raise NotImplementedError  # each peer says how it answers

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
