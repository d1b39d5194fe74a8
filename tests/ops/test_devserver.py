"""`make run`'s launcher (config/devserver.py), for real: runserver and a Celery worker with embedded
beat on the filesystem broker, against a temporary SQLite database and broker folder. Beat sends
the token flush every second; the worker runs it (the expired token leaves the database and each
run logs its report); the same port serves the live-events WebSocket (runserver is daphne's, ASGI);
stopping the launcher leaves none of its processes behind. Without Redis, an event a job publishes in
the worker reaches a WebSocket client of the server through the relay (POST /internal/events/)."""

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rest_framework_simplejwt.tokens import AccessToken

from config import devserver
from tests.events.wsclient import Closed, WebSocket

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid):
    """Every live descendant of pid (from /proc), zombies excluded."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(check, timeout, what, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s" + (f"\n--- launcher output ---\n{log.read_text()}" if log else ""))


def environment(database, jobs_dir):
    """The environment `make run` gives the launcher (no Redis), with the flush job due every second."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "MEDITRACK_JOBS_WORKER", "CELERY_TASK_ALWAYS_EAGER",
                          "JOB_SCHEDULE", "DJANGO_SETTINGS_MODULE", "MEDITRACK_EVENTS_RELAY_URL",
                          "MEDITRACK_EVENTS_RELAY_TOKEN", "JOBS_RUN_AT_START")}
    env.update(DATABASE_URL=f"sqlite:///{database}", JOBS_DIR=str(jobs_dir),
               JOB_SCHEDULE="flush-expired-tokens=1,create-reading-partitions=off", PYTHONUNBUFFERED="1")
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    database = tmp_path_factory.mktemp("template") / "db.sqlite3"
    env = environment(database, database.parent / "var")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return database


@pytest.fixture
def site(tmp_path, migrated):
    """A copy of a migrated temporary SQLite database holding one expired refresh token."""
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated, database)
    env = environment(database, tmp_path / "var")
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO token_blacklist_outstandingtoken (jti, token, created_at, expires_at) "
                   "VALUES ('expired', 'x', '2026-01-01 00:00:00', '2026-01-02 00:00:00')")
        # A nurse for the WebSocket check (no password: she only needs an access token).
        user_id = db.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
            "is_active, date_joined, role, approval_status, email_verified, phone) VALUES ('!', 0, 'nurse', '', '', "
            "'nurse@example.org', 0, 1, '2026-01-01 00:00:00', 'nurse', 'approved', 1, '')").lastrowid
    return {"env": env, "database": database, "log": tmp_path / "launcher.log", "tmp": tmp_path, "user_id": user_id}


def launch(site, *args):
    port = free_port()
    log = site["log"].open("w")
    process = subprocess.Popen([sys.executable, "-m", "config.devserver", f"127.0.0.1:{port}", *args],
                               cwd=ROOT, env=site["env"], stdout=log, stderr=subprocess.STDOUT)
    return process, port


def expired_tokens(database):
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM token_blacklist_outstandingtoken").fetchone()[0]


def answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def access_token(user_id):
    """An access token the server accepts: both sides sign with the same (development) key."""
    token = AccessToken()
    token["user_id"] = str(user_id)
    return str(token)


def websocket_close_code(port, first_message):
    socket_ = WebSocket("127.0.0.1", port)
    assert socket_.status == 101
    socket_.send_text(first_message)
    try:
        while True:
            socket_.receive()
    except Closed as closed:
        return closed.code


def test_launcher_runs_beat_jobs_on_the_filesystem_broker_and_stops_everything(site):
    launcher, port = launch(site)
    try:
        wait_for(lambda: answers(port), 45, "the API answers", site["log"])
        # The same port serves the WebSocket: a bad token is closed with 4401, a good one gets its session.
        assert websocket_close_code(port, '{"token": "not-a-token"}') == 4401
        socket_ = WebSocket("127.0.0.1", port)
        socket_.send_json({"token": access_token(site["user_id"])})
        ready = socket_.receive_json()
        socket_.close()
        assert (ready["type"], ready["data"]["user_id"]) == ("session.ready", site["user_id"])
        # runserver + its autoreloader child, the worker + beat's process.
        wait_for(lambda: len(children_of(launcher.pid)) >= 4, 10, "four processes started", site["log"])
        wait_for(lambda: expired_tokens(site["database"]) == 0, 20, "the flush ran in the worker", site["log"])
        # Every job runs once at start (JOBS_RUN_AT_START), then beat sends the flush each second.
        wait_for(lambda: site["log"].read_text().count("job flush_expired_tokens done") >= 3, 15,
                 "beat's flushes ran", site["log"])
        log = site["log"].read_text()
        assert "Sending due task flush-expired-tokens (accounts.tasks.flush_expired_tokens)" in log
        assert log.count("job generate_pm_workorders done") == 1  # hourly: only the run at start
        assert "job create_reading_partitions done" not in log  # turned off by JOB_SCHEDULE
        descendants = children_of(launcher.pid)
        assert any(b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in descendants)
        # The task travelled through the broker's folder (beat and the worker are two processes).
        assert (site["tmp"] / "var" / "control" / "celery.exchange").exists()
        assert list((site["tmp"] / "var").glob("beat-schedule*"))

        # SIGTERM is what make passes on; a Ctrl+C (SIGINT) right behind it, as a terminal and make or
        # `timeout` deliver it twice, must not cut the shutdown short.
        launcher.send_signal(signal.SIGTERM)
        time.sleep(0.1)
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(timeout=20) == 0
        wait_for(lambda: not any(alive(pid) for pid in descendants), 5, "every child process gone")
        assert "devserver: stopped" in site["log"].read_text()
    finally:
        if launcher.poll() is None:
            launcher.kill()


def test_a_killed_launcher_takes_its_children_with_it(site):
    launcher, port = launch(site, "--noreload")
    try:
        wait_for(lambda: answers(port), 45, "the API answers", site["log"])
        wait_for(lambda: len(children_of(launcher.pid)) >= 3, 10, "worker, beat and server started", site["log"])
        descendants = children_of(launcher.pid)
    finally:
        launcher.kill()  # SIGKILL: no handler runs; the parent-death signal still stops the children
        launcher.wait()
    wait_for(lambda: not any(alive(pid) for pid in descendants), 15, "every child process gone", site["log"])


def test_a_child_that_exits_stops_the_launcher_and_the_other_child(site):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        log = site["log"].open("w")
        launcher = subprocess.Popen(
            [sys.executable, "-m", "config.devserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT, env=site["env"], stdout=log, stderr=subprocess.STDOUT,
        )
        children = []
        wait_for(lambda: children.extend(children_of(launcher.pid)) or children, 10, "the worker started")
        # runserver cannot bind the taken port and exits: the launcher stops the worker and fails.
        assert launcher.wait(timeout=30) != 0
        wait_for(lambda: not any(alive(pid) for pid in children), 5, "the worker gone too", site["log"])
    finally:
        busy.close()


# An admin (alerts of a patient with no doctor and no department escalate to the admins) and an open
# critical alert, opened now: not due for escalation until the test moves its opening back.
MAKE_ALERT = """
import json, django
django.setup()
from tests.factories import UserFactory
from tests.factories.monitoring import AlertFactory
admin = UserFactory(admin=True)
alert = AlertFactory(severity="critical")
print(json.dumps({"admin": admin.pk, "alert": alert.pk}))
"""


def test_an_event_a_job_publishes_in_the_worker_reaches_a_websocket_client_of_the_server(site):
    # Escalation every second (beat), so the alert escalates within a second or two of becoming due.
    site["env"]["JOB_SCHEDULE"] += ",escalate-alerts=1"
    made = subprocess.run([sys.executable, "-c", MAKE_ALERT], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**site["env"], "DJANGO_SETTINGS_MODULE": "config.settings"}, timeout=60)
    ids = json.loads(made.stdout.strip().splitlines()[-1])
    launcher, port = launch(site, "--noreload")
    try:
        wait_for(lambda: answers(port), 45, "the API answers", site["log"])
        assert "the jobs' live events reach the WebSocket through the server's relay, " \
               f"http://127.0.0.1:{port}/internal/events/" in site["log"].read_text()
        # The relay exists under make run, and takes nothing without the run's secret.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/internal/events/", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": "Relay guessed-secret"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 403
        socket_ = WebSocket("127.0.0.1", port, timeout=20)
        socket_.send_json({"token": access_token(ids["admin"])})
        assert socket_.receive_json()["type"] == "session.ready"
        with sqlite3.connect(site["database"]) as db:  # the alert is now 10 minutes old: due
            db.execute("UPDATE monitoring_alert SET opened_at = datetime('now', '-10 minutes') WHERE id = ?",
                       (ids["alert"],))
        started = time.monotonic()
        received = {}
        while set(received) != {"alert.escalated", "notification.created"}:
            message = socket_.receive_json()  # the socket's 20 s timeout fails the test if nothing comes
            received[message["type"]] = message
        elapsed = time.monotonic() - started
        socket_.close()
        escalated = received["alert.escalated"]["data"]
        assert (escalated["id"], escalated["escalation_level"]) == (ids["alert"], 1)
        assert received["notification.created"]["data"]["kind"] == "alert.escalated"
        assert elapsed < 10, elapsed
        # The worker logs the pass once it returns, after its commit sent the events.
        wait_for(lambda: '"escalated": 1' in site["log"].read_text(), 5, "the escalation logged", site["log"])
        assert "the relay to the web process failed" not in site["log"].read_text()
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=20)
        finally:
            if launcher.poll() is None:
                launcher.kill()


@pytest.mark.parametrize(("addr", "url"), [
    ("127.0.0.1:8000", "http://127.0.0.1:8000/internal/events/"),
    ("8001", "http://127.0.0.1:8001/internal/events/"),  # runserver's port-only form
    ("0:8000", "http://127.0.0.1:8000/internal/events/"),
    ("0.0.0.0:8000", "http://127.0.0.1:8000/internal/events/"),  # every interface: loopback among them
    ("localhost:8000", "http://127.0.0.1:8000/internal/events/"),
    ("127.0.0.2:8000", "http://127.0.0.2:8000/internal/events/"),
    ("[::1]:8000", "http://[::1]:8000/internal/events/"),
    ("[::]:8000", "http://[::1]:8000/internal/events/"),
    ("192.168.1.5:8000", None),  # one non-loopback address: the worker's request would not come from loopback
    ("meditrack.local:8000", None),
    ("127.0.0.1:http", None),
])
def test_the_relay_url_is_the_servers_own_port_on_loopback(addr, url):
    assert devserver.relay_url(addr) == url


def test_the_relay_is_set_up_only_for_a_worker_without_redis():
    base = {"PATH": "/bin", "MEDITRACK_EVENTS_RELAY_URL": "http://elsewhere/", "MEDITRACK_EVENTS_RELAY_TOKEN": "old"}
    first = devserver.relay_environment(base, "127.0.0.1:8000", jobs=True)
    second = devserver.relay_environment(base, "127.0.0.1:8000", jobs=True)
    assert first["MEDITRACK_EVENTS_RELAY_URL"] == "http://127.0.0.1:8000/internal/events/"
    assert len(first["MEDITRACK_EVENTS_RELAY_TOKEN"]) >= 32
    assert first["MEDITRACK_EVENTS_RELAY_TOKEN"] != second["MEDITRACK_EVENTS_RELAY_TOKEN"]  # a secret per run
    for env in (devserver.relay_environment({**base, "REDIS_URL": "redis://127.0.0.1:6379/0"}, "127.0.0.1:8000", True),
                devserver.relay_environment(base, "127.0.0.1:8000", jobs=False),
                devserver.relay_environment(base, "192.168.1.5:8000", jobs=True)):
        assert not set(devserver.RELAY_ENV) & set(env), env  # none inherited either
        assert env["PATH"] == "/bin"
