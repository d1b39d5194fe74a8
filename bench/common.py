"""Shared plumbing for the benchmarks: a fresh PostgreSQL database, Django set up against it, and a
gunicorn server on the loopback address whose worker's memory can be read from /proc."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
SECRET = "bench-only-secret-key-not-for-production-0123456789"


def fresh_database(name):
    """Drop and create the database, point Django at it, migrate, and return the environment."""
    for statement in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", f"{PG_ADMIN_URL}/postgres", "-q", "-c", statement], check=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG_ADMIN_URL}/{name}",
        "DEBUG": "off",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "THROTTLE_USER": "1000000/min",
        "THROTTLE_ANON": "1000000/min",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


def drop_database(name):
    """Close Django's connections and drop the bench's database (a bench leaves none behind)."""
    from django.db import connections

    connections.close_all()
    subprocess.run(["psql", f"{PG_ADMIN_URL}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   check=False)


def free_port():
    """A loopback port nobody holds now: benchmarks never assume a fixed one is free."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1 (a free port unless given), serving `app` (a bench's own application
    factory needs `pythonpath`): one sync worker, unless `flags` says otherwise (e.g. `-c
    gunicorn.conf.py --workers 3`, the recommended settings); `nice` lowers its priority. Stopped
    again if it does not start."""

    def __init__(self, env, port=None, *, app="config.wsgi:application", pythonpath=None, timeout=120,
                 start_seconds=30, flags=None, nice=0):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        if flags is None:
            flags = ["--workers", "1", "--worker-class", "sync", "--timeout", str(timeout)]
        self.process = subprocess.Popen(
            [*(["nice", "-n", str(nice)] if nice else []), sys.executable, "-m", "gunicorn", app,
             *(["--pythonpath", pythonpath] if pythonpath else []),
             "--bind", f"127.0.0.1:{self.port}", *flags, "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        deadline = time.time() + start_seconds
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/api/health/", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self):
        return [int(pid) for pid in
                Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()]

    def worker_pid(self):
        return self.worker_pids()[0]

    def worker_rss_mb(self, pid=None):
        for line in Path(f"/proc/{pid or self.worker_pid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def workers_rss_mb(self):
        return [self.worker_rss_mb(pid) for pid in self.worker_pids()]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def request(method, url, body=None, headers=None, timeout=120):
    data = body if isinstance(body, bytes | type(None)) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req, timeout=timeout) as response:
        return response.status, json.loads(response.read() or b"null")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
