"""Parallel bookings against `make run`'s embedded default: `manage.py runserver` on a fresh SQLite file.

    .venv/bin/python bench/sqlite_parallel.py [--bookings 72] [--concurrency 12]

Creates a SQLite file in a temporary directory, runs `migrate` and `seed_demo` on it, starts
`manage.py runserver` (threaded, no reloader) on a free loopback port, logs in as the demo admin and
fires the bookings from threads, `--concurrency` at a time:
- two thirds of them each book a different free slot (every one should answer 201),
- the rest race in waves of `--concurrency` for one slot per wave (one 201 and 409s per wave).
Prints the status counts of each phase and the total; exits 1 if any answered 5xx. The server it
started is stopped (by its pid) whatever happens; nothing leaves the loopback interface.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "MediTrack-demo-2026"
TIMEOUT = 30  # seconds per request; the whole run is bounded by bookings / concurrency * TIMEOUT


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(method, url, body=None, token=None):
    """(status, parsed JSON body); HTTP errors are answers too, not exceptions."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"null")
        except ValueError:
            return error.code, raw[:200].decode(errors="replace")


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def wait_until_up(url, process, deadline=60):
    stop = time.time() + deadline
    while time.time() < stop:
        if process.poll() is not None:
            raise RuntimeError(f"runserver exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"{url}/api/health/", timeout=2)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    raise RuntimeError("runserver did not answer within a minute")


def fire(url, token, bodies, concurrency):
    """POST each body to /api/appointments/, `concurrency` requests in flight at a time."""
    def book(body):
        return call("POST", f"{url}/api/appointments/", body, token)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(book, bodies))


def summary(results):
    counts = Counter(status for status, _body in results)
    return ", ".join(f"{status}: {counts[status]}" for status in sorted(counts))


def run(bookings, concurrency):
    with tempfile.TemporaryDirectory(prefix="meditrack-sqlite-bench-") as folder:
        env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DATABASE_URL")}
        env.update({"DATABASE_URL": f"sqlite:///{folder}/db.sqlite3", "DEBUG": "on", "DEMO_PASSWORD": PASSWORD,
                    "LOG_LEVEL": "ERROR", "PYTHONUNBUFFERED": "1"})
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(folder) / "runserver.log", "wb")  # noqa: SIM115 - closed in finally
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(url, server)
            status, tokens = call("POST", f"{url}/api/auth/login/", {"username": "admin", "password": PASSWORD})
            if status != 200:
                raise RuntimeError(f"admin login answered {status}: {tokens}")
            token = tokens["access"]
            _status, page = call("GET", f"{url}/api/patients/?page_size=1", token=token)
            patient = page["results"][0]["id"]
            query = "available=true&page_size=100&ordering=date"
            _status, page = call("GET", f"{url}/api/time-slots/?{query}", token=token)
            slots = [slot["id"] for slot in page["results"]]
            distinct = bookings * 2 // 3
            waves = (bookings - distinct) // concurrency
            if len(slots) < distinct + waves:
                raise RuntimeError(f"the demo data has {len(slots)} free slots; {distinct + waves} are needed")
            different = [{"slot": slot, "patient": patient} for slot in slots[:distinct]]
            same = [{"slot": slots[distinct + wave], "patient": patient}
                    for wave in range(waves) for _ in range(concurrency)]
            began = time.perf_counter()
            first = fire(url, token, different, concurrency)
            second = []
            for wave in range(waves):  # each wave: `concurrency` requests for one slot at once
                second += fire(url, token, same[wave * concurrency:(wave + 1) * concurrency], concurrency)
            elapsed = time.perf_counter() - began
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
            locked = (Path(folder) / "runserver.log").read_text(errors="replace").count("database is locked")
        everything = first + second
        print(f"{len(everything)} bookings, {concurrency} at a time, runserver on a fresh SQLite file, "
              f"{elapsed:.1f} s")
        print(f"  different slots ({len(first)}): {summary(first)}")
        print(f"  one slot per wave ({len(second)} in {waves} waves): {summary(second)}")
        print(f"  total: {summary(everything)}")
        errors = Counter(str(body.get("message") if isinstance(body, dict) else body)[:80]
                         for status, body in everything if status >= 500)
        for message, count in errors.most_common(3):
            print(f"  5xx x{count}: {message}")
        print(f"  'database is locked' in the server log: {locked}")
        won = [sum(1 for status, _ in second[w * concurrency:(w + 1) * concurrency] if status == 201)
               for w in range(waves)]
        print(f"  winners per one-slot wave: {won}")
        return 1 if any(status >= 500 for status, _ in everything) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=72)
    parser.add_argument("--concurrency", type=int, default=12)
    arguments = parser.parse_args()
    sys.exit(run(arguments.bookings, arguments.concurrency))
