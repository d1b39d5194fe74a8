"""`make run`: Django's development server and a Celery worker with embedded beat, started and
stopped together.

The development server is daphne's `runserver` (daphne is first in INSTALLED_APPS): ASGI, so the API
(http://ADDR/api/) and the live events WebSocket (ws://ADDR/ws/events/, docs/events.md) share one
port and one process, whose in-memory channel layer reaches every client when REDIS_URL is unset.
Events the jobs worker publishes (escalations, silent monitors, their notifications) reach the same
clients: with REDIS_URL through the shared Redis layer; without it through the relay, the server's
`POST /internal/events/` (events/relay.py), to which the worker POSTs each event. The launcher makes a
random secret per run and gives both children MEDITRACK_EVENTS_RELAY_URL (the server's own port, on
loopback) and MEDITRACK_EVENTS_RELAY_TOKEN; the server takes events only from loopback with it.

    python -m config.devserver [ADDR] [--no-jobs] [--noreload]

ADDR defaults to 127.0.0.1:8000. The worker runs with MEDITRACK_JOBS_WORKER=1: without REDIS_URL its
broker is kombu's filesystem transport under JOBS_DIR (var/celery/, gitignored) and its embedded
beat sends the periodic jobs (settings CELERY_BEAT_SCHEDULE) to it, while the web process keeps
running its own tasks (emails) eagerly; with REDIS_URL the worker and beat use Redis, as in
production. Either way the worker queues every job once as it starts (JOBS_RUN_AT_START). Both
children share a prometheus_client multiprocess folder (PROMETHEUS_MULTIPROC_DIR, var/metrics/ by
default, emptied at start), so the server's /metrics counts the worker's job runs as well.

Both children run in their own process group. Ctrl+C, SIGTERM or SIGHUP to this launcher, or either
child exiting, stops both groups (SIGTERM, then SIGKILL after a grace period), which takes
runserver's autoreloader child and beat's process with them. Each child also gets the kernel's
parent-death signal (Linux), so even a launcher killed with SIGKILL leaves no worker behind.
"""

import argparse
import contextlib
import ctypes
import ctypes.util
import ipaddress
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 10
PR_SET_PDEATHSIG = 1


def jobs_dir():
    return Path(os.environ.get("JOBS_DIR") or ROOT / "var" / "celery")


def worker_command(schedule_filename):
    return [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--beat",
        "--schedule-filename", str(schedule_filename),
        # One process: the jobs are short, SQLite takes one writer at a time, and nothing is forked.
        "--pool=solo", "--loglevel=INFO", "--hostname=meditrack-dev@%h",
        # No other workers to talk to: no gossip, mingle or heartbeat polling.
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]


RELAY_PATH = "/internal/events/"
RELAY_ENV = ("MEDITRACK_EVENTS_RELAY_URL", "MEDITRACK_EVENTS_RELAY_TOKEN")


def relay_url(addr):
    """The relay's URL: the server's own port through loopback (the server takes events only from
    there). None when the server listens on one address that is not loopback (a request to it comes
    from that address, not from loopback) or on a host name."""
    host, _, port = addr.rpartition(":")
    if not port.isdigit():
        return None
    host = host.strip("[]")
    # runserver's "8000" and "0:8000" too; listening on every interface includes 127.0.0.1.
    if host in ("", "0", "0.0.0.0", "localhost"):  # noqa: S104 (a comparison, not a bind)
        target = "127.0.0.1"
    elif host == "::":
        target = "[::1]"
    else:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return None
        if not ip.is_loopback:
            return None
        target = f"[{ip}]" if ip.version == 6 else str(ip)
    return f"http://{target}:{port}{RELAY_PATH}"


def relay_environment(env, addr, jobs):
    """The relay's two variables for both children, when there is a worker and no Redis; else none
    (with Redis every process shares the layer; without a worker nobody else publishes)."""
    env = {key: value for key, value in env.items() if key not in RELAY_ENV}
    url = relay_url(addr) if jobs and not env.get("REDIS_URL") else None
    if url:
        env.update(MEDITRACK_EVENTS_RELAY_URL=url, MEDITRACK_EVENTS_RELAY_TOKEN=secrets.token_urlsafe(32))
    return env


def metrics_environment(env, folder):
    """Both children count into one prometheus_client multiprocess folder (core/metrics.py), emptied
    for each run, so the server's /metrics shows the jobs worker's job runs too. A
    PROMETHEUS_MULTIPROC_DIR already set is used (and emptied) instead of `folder`."""
    path = Path(env.get("PROMETHEUS_MULTIPROC_DIR") or folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return {**env, "PROMETHEUS_MULTIPROC_DIR": str(path)}


def server_command(addr, noreload):
    return [sys.executable, str(ROOT / "manage.py"), "runserver", addr, *(["--noreload"] if noreload else [])]


def _die_with_parent(parent_pid):
    """preexec_fn: the kernel sends SIGTERM to this child when the launcher dies, however it dies."""
    def preexec():
        os.setpgrp()  # its own group: the launcher stops the child with everything it started
        libc_name = ctypes.util.find_library("c")
        if sys.platform.startswith("linux") and libc_name:
            ctypes.CDLL(libc_name, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent_pid:  # the launcher died before prctl took effect
                os._exit(1)
    return preexec


def start(command, env):
    return subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,  # noqa: S603 (our own commands)
                            preexec_fn=_die_with_parent(os.getpid()))


def signal_group(process, sig):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def stop(processes, grace=GRACE_SECONDS):
    """SIGTERM each child's process group, wait up to `grace` seconds, then SIGKILL what is left."""
    for process in processes:
        signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(process, signal.SIGKILL)
            process.wait()
        # The group may outlive its leader (a reloader child, beat's process): end it too.
        signal_group(process, signal.SIGKILL)


class Stop(Exception):
    """A signal or a child exiting: time to stop both."""


_stopping = []


def _raise_stop(signum, frame):
    # Once only: Ctrl+C often arrives twice (the terminal, then `timeout` or make passing it on), and a
    # second Stop raised inside the shutdown below would cut it short.
    if not _stopping:
        _stopping.append(signum)
        raise Stop(signum)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addr", nargs="?", default="127.0.0.1:8000")
    parser.add_argument("--no-jobs", action="store_true", help="serve the API only (no worker, no beat)")
    parser.add_argument("--noreload", action="store_true", help="no autoreloader in runserver")
    args = parser.parse_args(argv)

    env = relay_environment({**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}, args.addr, not args.no_jobs)
    if not args.no_jobs:  # one process without the worker: its own counters are all there is
        env = metrics_environment(env, jobs_dir().parent / "metrics")
    processes = []
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_stop)
    code = 0
    try:
        if not args.no_jobs:
            folder = jobs_dir()
            folder.mkdir(parents=True, exist_ok=True)
            # Marks the make-run worker: the filesystem broker when there is no REDIS_URL, never eager,
            # and every job queued once at start (settings JOBS_RUN_AT_START).
            worker_env = {**env, "JOBS_DIR": str(folder), "MEDITRACK_JOBS_WORKER": "1"}
            processes.append(start(worker_command(folder / "beat-schedule"), worker_env))
            broker = "Redis (REDIS_URL)" if env.get("REDIS_URL") else f"the filesystem broker in {folder}"
            print(f"devserver: jobs worker with beat, pid {processes[-1].pid}, on {broker}", flush=True)
            if env.get("MEDITRACK_EVENTS_RELAY_URL"):
                print("devserver: the jobs' live events reach the WebSocket through the server's relay, "
                      f"{env['MEDITRACK_EVENTS_RELAY_URL']} (no REDIS_URL)", flush=True)
            elif not env.get("REDIS_URL"):
                print(f"devserver: {args.addr} is not a loopback or wildcard address: the jobs' live events reach "
                      "the WebSocket only with REDIS_URL", flush=True)
        processes.append(start(server_command(args.addr, args.noreload), env))
        print(f"devserver: API on http://{args.addr}/api/ and live events on ws://{args.addr}/ws/events/, "
              f"pid {processes[-1].pid}; Ctrl+C stops both", flush=True)
        while True:
            for process in processes:
                if process.poll() is not None:
                    print(f"devserver: pid {process.pid} exited ({process.returncode}); stopping", flush=True)
                    code = process.returncode or 1
                    raise Stop(None)
            time.sleep(0.2)
    except (Stop, KeyboardInterrupt):
        pass
    finally:
        _stopping.append(None)  # from here on a signal changes nothing: the children are stopped below
        stop(processes)
        print("devserver: stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
