"""What production's gunicorn answers to requests too long for it (gunicorn.conf.py): oversized
request lines and headers reach Django within the raised limits, and gunicorn's own refusals past
them are JSON in the error shape, never its HTML page."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn started as the Dockerfile does (no -c: it reads ./gunicorn.conf.py by itself)."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DEBUG="off", SECRET_KEY="gunicorn-test-" + "k" * 40, ALLOWED_HOSTS="127.0.0.1",
               DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('gunicorn')}/db.sqlite3")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start")
    yield port
    process.terminate()
    process.wait(timeout=10)


def _get(port, path, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.getheader("Content-Type") == "application/json", body[:200]
    payload = json.loads(body)
    assert set(payload) == {"status", "code", "message", "errors"} and payload["status"] == "error"
    return response.status, payload


def test_a_5000_character_path_reaches_django_and_gets_its_json_404(gunicorn):
    status, body = _get(gunicorn, "/api/" + "a" * 5000 + "/")
    assert (status, body["code"]) == (404, "not_found")
    assert len(body["message"]) < 400  # the path is not echoed whole


def test_a_20000_character_bearer_token_reaches_django_and_gets_401(gunicorn):
    status, body = _get(gunicorn, "/api/auth/profile/", {"Authorization": "Bearer " + "x" * 20000})
    assert (status, body["code"]) == (401, "token_not_valid")


def test_a_request_line_past_gunicorn_s_limit_is_a_json_414(gunicorn):
    status, body = _get(gunicorn, "/api/" + "a" * 9000 + "/")
    assert (status, body["code"]) == (414, "request_line_too_long")
    assert "8190" in body["message"]


def test_a_header_past_gunicorn_s_limit_is_a_json_431(gunicorn):
    status, body = _get(gunicorn, "/api/auth/profile/", {"Authorization": "Bearer " + "x" * 40000})
    assert (status, body["code"]) == (431, "header_fields_too_large")
