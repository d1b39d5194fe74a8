"""`make run`'s launcher (config/devserver.py), for real: runserver and a Celery worker with embedded
beat on the filesystem broker, against a temporary SQLite database and broker folder. Beat sends
the token flush every second; the worker runs it (the expired token leaves the database and each
run logs its report); the same port serves the live-events WebSocket (runserver is daphne's, ASGI);
stopping the launcher leaves none of its processes behind."""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from rest_framework_simplejwt.tokens import AccessToken

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
                          "JOB_SCHEDULE", "DJANGO_SETTINGS_MODULE")}
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
