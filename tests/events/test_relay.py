"""The `make run` relay without Redis: the jobs worker POSTs its events to the web process's
`/internal/events/` (core.events.relay), which hands them to its own channel layer (events/relay.py).

The view half drives the real ASGI application: a WebsocketCommunicator session is connected, the
relay request is made with Django's test client (REMOTE_ADDR 127.0.0.1), and the socket must (or must
not) receive the event. The sender half POSTs to a small http.server in a thread (or to a closed port,
or to a server that never answers). tests/ops/test_devserver.py runs both halves for real.
"""

import http.server
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client

from accounts.choices import Role
from core import events
from core.events import publish
from notifications.services import notify
from tests.events.conftest import event_types, run, session, sync
from tests.factories import DepartmentFactory, UserFactory
from tests.factories.monitoring import AlertFactory

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-" + "x" * 40
URL = "/internal/events/"


@pytest.fixture
def relay_on(settings):
    settings.EVENTS_RELAY_TOKEN = SECRET
    settings.EVENTS_RELAY_URL = ""  # this process is the web process: it receives
    return settings


def event_for(instance=None, user_ids=None, event_type="alert.escalated", data=None):
    """An event exactly as publish() builds it, and as JSON carries it."""
    return {
        "type": event_type, "at": "2026-12-01T14:31:07.402113+00:00", "data": data or {"id": 1},
        "model": instance._meta.label if instance is not None else None,
        "pk": instance.pk if instance is not None else None,
        "user_ids": user_ids,
    }


def post(body, *, secret=SECRET, scheme="Relay", remote_addr="127.0.0.1", content_type="application/json",
         method="post"):
    headers = {} if secret is None else {"HTTP_AUTHORIZATION": f"{scheme} {secret}"}
    client = getattr(Client(), method)
    if method in ("get", "delete"):
        return client(URL, REMOTE_ADDR=remote_addr, **headers)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client(URL, data=data, content_type=content_type, REMOTE_ADDR=remote_addr, **headers)


def relayed(users, request):
    """{user name: [event types]} each connected user received, and the relay's response, for `request`."""
    async def scenario():
        connections = {name: await session(user) for name, user in users.items()}
        response = await sync(request)
        got = {name: await event_types(connection) for name, connection in connections.items()}
        for connection in connections.values():
            await connection.disconnect()
        return got, response

    return run(scenario)


@pytest.fixture
def ward():
    department = DepartmentFactory()
    alert = AlertFactory(patient__department=department)
    return {"alert": alert, "admin": UserFactory(admin=True),
            "nurse": UserFactory(role=Role.NURSE, department=department),
            "stranger": UserFactory(role=Role.NURSE, department=DepartmentFactory()),
            "engineer": UserFactory(role=Role.ENGINEER)}


# --- The view: the web process's half ---------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_relayed_event_reaches_the_sockets_in_scope_only(relay_on, ward):
    users = {name: ward[name] for name in ("admin", "nurse", "stranger", "engineer")}
    got, response = relayed(users, lambda: post(event_for(ward["alert"])))
    assert response.status_code == 204, response.content
    assert response.content == b""
    assert got == {"admin": ["alert.escalated"], "nurse": ["alert.escalated"], "stranger": [], "engineer": []}


@pytest.mark.django_db(transaction=True)
def test_a_relayed_event_arrives_as_the_contracts_message(relay_on, ward):
    async def scenario():
        connection = await session(ward["admin"])
        response = await sync(post, event_for(ward["alert"], data={"id": ward["alert"].pk, "escalation_level": 1}))
        message = await connection.receive_json_from(timeout=3)
        await connection.disconnect()
        return response, message

    response, message = run(scenario)
    assert response.status_code == 204
    assert message == {"type": "alert.escalated", "at": "2026-12-01T14:31:07.402113+00:00",
                       "data": {"id": ward["alert"].pk, "escalation_level": 1}}


@pytest.mark.django_db(transaction=True)
def test_a_relayed_event_for_named_users_reaches_only_them(relay_on, ward):
    users = {name: ward[name] for name in ("admin", "nurse")}
    got, response = relayed(users, lambda: post(event_for(user_ids=[ward["nurse"].pk],
                                                          event_type="notification.created")))
    assert response.status_code == 204
    assert got == {"admin": [], "nurse": ["notification.created"]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("remote_addr", ["::1", "::ffff:127.0.0.1", "127.0.0.2"])
def test_every_loopback_address_is_accepted(relay_on, ward, remote_addr):
    got, response = relayed({"admin": ward["admin"]}, lambda: post(event_for(ward["alert"]), remote_addr=remote_addr))
    assert response.status_code == 204
    assert got == {"admin": ["alert.escalated"]}


def error_of(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"status", "code", "message", "errors"}
    assert (body["status"], body["code"]) == ("error", code)
    return body


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("request_kwargs", [
    {"secret": "wrong-" + "x" * 41},
    {"secret": SECRET[:-1]},
    {"secret": SECRET + "x"},
    {"secret": ""},
    {"secret": None},  # no Authorization header
    {"scheme": "Bearer"},
    {"secret": "sécret"},  # not ASCII: refused, not a 500
    {"remote_addr": "10.1.2.3"},  # the right secret from another host
    {"remote_addr": "192.168.0.7"},
    {"remote_addr": "::ffff:10.1.2.3"},
    {"remote_addr": "2001:db8::1"},
    {"remote_addr": "not-an-address"},
], ids=lambda kwargs: ",".join(f"{key}={value}" for key, value in kwargs.items()))
def test_a_request_without_the_secret_or_from_another_host_is_refused(relay_on, ward, request_kwargs):
    got, response = relayed({"admin": ward["admin"]}, lambda: post(event_for(ward["alert"]), **request_kwargs))
    error_of(response, 403, "permission_denied")
    # A right request right after reaches the same socket: the refusal is the check, not a broken delivery.
    assert got == {"admin": []}
    got, response = relayed({"admin": ward["admin"]}, lambda: post(event_for(ward["alert"])))
    assert (response.status_code, got) == (204, {"admin": ["alert.escalated"]})


@pytest.mark.django_db
@pytest.mark.parametrize("secret", [SECRET, "", None], ids=["a secret", "empty", "no header"])
def test_without_a_relay_secret_the_route_does_not_exist(settings, secret):
    settings.EVENTS_RELAY_TOKEN = ""
    response = post(event_for(user_ids=[1]), secret=secret)
    error_of(response, 404, "not_found")
    error_of(post({}, secret=secret, method="get"), 404, "not_found")


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_only_post_is_allowed(relay_on, method):
    response = post(event_for(user_ids=[1]), method=method)
    error_of(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"


@pytest.mark.django_db
def test_only_json_is_accepted(relay_on):
    error_of(post("type=alert.opened", content_type="application/x-www-form-urlencoded"), 415,
             "unsupported_media_type")


def without(key):
    event = event_for(user_ids=[1])
    del event[key]
    return event


BAD_BODIES = {
    "not JSON": ("{not json", "non_field_errors"),
    "not UTF-8": (b"\xff\xfe", "non_field_errors"),
    "a list": ([event_for(user_ids=[1])], "non_field_errors"),
    "a string": ('"alert.opened"', "non_field_errors"),
    "no type": (without("type"), "type"),
    "no at": (without("at"), "at"),
    "no data": (without("data"), "data"),
    "no model": (without("model"), "model"),
    "no pk": (without("pk"), "pk"),
    "no user_ids": (without("user_ids"), "user_ids"),
    "an unknown key": ({**event_for(user_ids=[1]), "extra": 1}, "extra"),
    "an empty type": ({**event_for(user_ids=[1]), "type": ""}, "type"),
    "a type not a string": ({**event_for(user_ids=[1]), "type": 7}, "type"),
    "at not a date-time": ({**event_for(user_ids=[1]), "at": "yesterday"}, "at"),
    "at a number": ({**event_for(user_ids=[1]), "at": 1764600000}, "at"),
    "data not an object": ({**event_for(user_ids=[1]), "data": [1]}, "data"),
    "a model not a label": ({**event_for(user_ids=None), "model": "Alert", "pk": 1}, "model"),
    "a model without pk": ({**event_for(user_ids=None), "model": "monitoring.Alert"}, "pk"),
    "a pk without model": ({**event_for(user_ids=None), "pk": 1}, "pk"),
    "a pk that is a boolean": ({**event_for(user_ids=None), "model": "monitoring.Alert", "pk": True}, "pk"),
    "user_ids not a list": ({**event_for(user_ids=None), "user_ids": 1}, "user_ids"),
    "user_ids of strings": ({**event_for(user_ids=None), "user_ids": ["1"]}, "user_ids"),
    "neither object nor users": (event_for(), "non_field_errors"),
    "too big": ({**event_for(user_ids=[1]), "data": {"x": "y" * 70000}}, "non_field_errors"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", BAD_BODIES)
def test_a_body_that_is_not_an_event_is_a_400_naming_the_field_and_delivers_nothing(relay_on, ward, name):
    body, field = BAD_BODIES[name]
    if isinstance(body, dict) and body.get("user_ids") == [1]:
        body["user_ids"] = [ward["admin"].pk]  # were the body delivered, the admin would receive it
    got, response = relayed({"admin": ward["admin"]}, lambda: post(body))
    error_body = error_of(response, 400, "validation_error")
    assert field in error_body["errors"], error_body
    assert got == {"admin": []}


@pytest.mark.django_db
def test_the_relay_is_not_in_the_api_schema(relay_on):
    schema = Client().get("/api/schema/?format=json").content.decode()
    assert "/api/records/" in schema  # the schema was rendered
    assert "internal" not in schema and "relay" not in schema.lower()


# --- The sender: the jobs worker's half -------------------------------------------------------------

class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every POST with its server's `status` and keeps what it got (path, headers, body)."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def web(settings):
    """A stand-in web process on a free loopback port; this process is the worker that relays to it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.received, server.status = [], 204
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EVENTS_RELAY_URL = f"http://127.0.0.1:{server.server_address[1]}/internal/events/"
    settings.EVENTS_RELAY_TOKEN = SECRET
    yield server
    server.shutdown()
    server.server_close()


def test_in_relay_mode_deliver_posts_the_event_with_the_secret(web):
    event = {**event_for(user_ids=[3, 5]), "at": "2026-12-01T14:31:07+00:00"}
    events.deliver(event)
    assert len(web.received) == 1
    got = web.received[0]
    assert got["path"] == "/internal/events/"
    assert got["headers"]["Authorization"] == f"Relay {SECRET}"
    assert got["headers"]["Content-Type"] == "application/json"
    assert got["body"] == event


def test_in_relay_mode_nothing_goes_to_the_local_channel_layer(web, monkeypatch):
    sent = []
    monkeypatch.setattr(events, "send_to_layer", sent.append)
    events.deliver(event_for(user_ids=[1]))
    assert (len(web.received), sent) == (1, [])


@pytest.mark.django_db(transaction=True)
def test_a_job_that_notifies_relays_its_events_after_commit(web):
    user = UserFactory(role=Role.NURSE)
    alert = AlertFactory()
    with transaction.atomic():
        publish("alert.escalated", {"id": alert.pk, "escalation_level": 1}, instance=alert)
        notify(users=[user], kind="alert.escalated", title="Alert escalated", email=False)
        assert web.received == []  # nothing before the commit
    bodies = sorted((item["body"] for item in web.received), key=lambda body: body["type"])
    assert [(body["type"], body["model"], body["pk"], body["user_ids"]) for body in bodies] == [
        ("alert.escalated", "monitoring.Alert", alert.pk, None),
        ("notification.created", None, None, [user.pk]),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_relays_nothing(web):
    alert = AlertFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("alert.escalated", {"id": alert.pk}, instance=alert)
        raise RuntimeError
    assert web.received == []


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _relay_waits_again(monkeypatch):
    """Each test starts as a fresh worker does: a refused connection is retried for a while."""
    monkeypatch.setitem(events._relay_state, "wait", True)
    monkeypatch.setattr(events, "RELAY_WAIT_SECONDS", 0.6)
    monkeypatch.setattr(events, "RELAY_RETRY_SECONDS", 0.05)


def timed_deliver(event):
    started = time.monotonic()
    events.deliver(event)
    return time.monotonic() - started


def test_the_web_process_down_costs_a_warning_never_an_exception(settings, caplog):
    settings.EVENTS_RELAY_URL = f"http://127.0.0.1:{closed_port()}/internal/events/"
    settings.EVENTS_RELAY_TOKEN = SECRET
    with caplog.at_level(logging.WARNING, logger="core.events"):
        first = timed_deliver(event_for(user_ids=[1]))  # waits for a server that may be starting
        second = timed_deliver(event_for(user_ids=[1], event_type="alert.opened"))  # then fails at once
    assert "event alert.escalated not delivered: the relay to the web process failed (URLError" in caplog.text
    assert "event alert.opened not delivered: the relay to the web process failed (URLError" in caplog.text
    assert 0.6 <= first < 2, first
    assert second < 0.3, second


def test_an_event_waits_for_a_web_process_that_is_starting_or_reloading(settings, caplog):
    port = closed_port()
    settings.EVENTS_RELAY_URL = f"http://127.0.0.1:{port}/internal/events/"
    settings.EVENTS_RELAY_TOKEN = SECRET
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Recorder, bind_and_activate=False)
    server.received, server.status = [], 204
    server.allow_reuse_address = True

    def start_late():
        time.sleep(0.25)
        server.server_bind()
        server.server_activate()
        server.serve_forever()

    thread = threading.Thread(target=start_late, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.WARNING, logger="core.events"):
            elapsed = timed_deliver(event_for(user_ids=[1]))
    finally:
        server.shutdown()
        server.server_close()
    assert len(server.received) == 1
    assert 0.25 <= elapsed < 0.6, elapsed
    assert "not delivered" not in caplog.text


def test_after_a_wait_in_vain_one_event_that_gets_through_makes_the_next_wait_again(web, monkeypatch):
    monkeypatch.setitem(events._relay_state, "wait", False)  # as after a server that stayed down
    events.deliver(event_for(user_ids=[1]))
    assert len(web.received) == 1
    assert events._relay_state["wait"] is True


def test_the_web_process_hung_costs_the_send_timeout_then_a_warning(settings, caplog):
    listener = socket.socket()  # accepts connections (the kernel's backlog) and never answers
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    settings.EVENTS_RELAY_URL = f"http://127.0.0.1:{listener.getsockname()[1]}/internal/events/"
    settings.EVENTS_RELAY_TOKEN = SECRET
    settings.EVENTS_SEND_TIMEOUT = 0.5
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="core.events"):
            events.deliver(event_for(user_ids=[1]))
        elapsed = time.monotonic() - started
    finally:
        listener.close()
    assert 0.4 < elapsed < 1.5, elapsed  # one attempt: a timeout is not retried
    assert "the relay to the web process failed (TimeoutError" in caplog.text


def test_the_web_process_refusing_costs_a_warning(web, caplog):
    web.status = 403
    with caplog.at_level(logging.WARNING, logger="core.events"):
        events.deliver(event_for(user_ids=[1]))
    assert len(web.received) == 1
    assert "the relay to the web process failed (HTTPError: HTTP Error 403" in caplog.text


def test_the_relay_ignores_a_proxy_in_the_environment(web, monkeypatch):
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("no_proxy", "")
    events.deliver(event_for(user_ids=[1]))
    assert len(web.received) == 1


# --- Settings: who relays, who receives -------------------------------------------------------------

CLEARED = ("REDIS_URL", "MEDITRACK_JOBS_WORKER", "MEDITRACK_EVENTS_RELAY_URL", "MEDITRACK_EVENTS_RELAY_TOKEN",
           "DJANGO_SETTINGS_MODULE")


def relay_settings(**env):
    """(EVENTS_RELAY_URL, EVENTS_RELAY_TOKEN) as a fresh process sees them with this environment."""
    base = {key: value for key, value in os.environ.items() if key not in CLEARED}
    code = ("import json, environ\n"
            "environ.Env.read_env = staticmethod(lambda *a, **k: None)\n"
            "from django.conf import settings\n"
            "print(json.dumps([settings.EVENTS_RELAY_URL, settings.EVENTS_RELAY_TOKEN]))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return result


RELAY_ENV = {"MEDITRACK_EVENTS_RELAY_URL": "http://127.0.0.1:8000/internal/events/",
             "MEDITRACK_EVENTS_RELAY_TOKEN": SECRET}


@pytest.mark.parametrize(("env", "expected"), [
    ({}, ["", ""]),  # production, tests: no relay, the route is a 404
    ({**RELAY_ENV, "MEDITRACK_JOBS_WORKER": "1"}, [RELAY_ENV["MEDITRACK_EVENTS_RELAY_URL"], SECRET]),  # the worker
    (RELAY_ENV, ["", SECRET]),  # the web process: receives, never relays to itself
    ({**RELAY_ENV, "MEDITRACK_JOBS_WORKER": "1", "REDIS_URL": "redis://127.0.0.1:6379/14"}, ["", ""]),  # Redis
    ({**RELAY_ENV, "REDIS_URL": "redis://127.0.0.1:6379/14"}, ["", ""]),
], ids=["nothing", "worker", "web", "worker with Redis", "web with Redis"])
def test_only_the_worker_without_redis_relays_and_only_with_a_secret_the_web_receives(env, expected):
    result = relay_settings(**env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


def test_a_short_relay_secret_refuses_to_start():
    result = relay_settings(MEDITRACK_EVENTS_RELAY_TOKEN="short")
    assert result.returncode != 0
    assert "MEDITRACK_EVENTS_RELAY_TOKEN: at least 32 characters" in result.stderr
