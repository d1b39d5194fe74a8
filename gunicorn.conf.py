"""gunicorn settings for production: limits that let Django answer, and JSON for what gunicorn refuses.

gunicorn reads this file by default from the directory it starts in (`/app` in the image; or pass
`-c gunicorn.conf.py`). Command-line flags (bind, workers, access log) still apply on top of it.

- Workers: gthread, one process per core, 4 threads each, keep-alive past a proxy's idle timeout,
  workers recycled after ~2,000 requests with jitter: the figures they come from are below and in
  docs/scaling.md (bench/gunicorn_settings.py).

- gunicorn's defaults (a 4,094-byte request line, 8,190-byte header fields) refuse a long URL or a
  large bearer token itself with an HTML 414/431 page, before Django sees the request. They are
  raised here so such requests reach Django, which answers in the error shape (a JSON 404 for an
  unknown path, 401 `token_not_valid` for a token that is no JWT).
- Past these limits (and for anything gunicorn cannot parse as HTTP: a malformed request line or
  header, bad chunked encoding), gunicorn still answers itself, but in the API's error shape: its
  HTML error page is replaced by `{"status": "error", "code", "message", "errors": {}}`.
- With PROMETHEUS_MULTIPROC_DIR set (several workers), every worker's metrics go to files in that
  folder and /metrics sums them (core/metrics.py): the folder is emptied as gunicorn starts (counts of
  an earlier run are not this one's) and a worker's live gauges are dropped when it exits.
"""

import json
import os
from pathlib import Path

from gunicorn import util

# --- Workers: from bench/gunicorn_settings.py on 2 cores shared with PostgreSQL (docs/scaling.md) --
# A 50-row list, 8 keep-alive clients, interleaved: gthread 2x4 answered 1.00 of the best req/s,
# gthread 3x4 0.92, gthread 4x2 0.79, sync 2 0.70, sync 4 0.63 (p50 240 ms for gthread 2x4 against
# 417 ms for sync 2 on a machine loaded by other work). Threads overlap a request's database waits
# with another's Python; more processes than cores only add memory (~140 MB each) and switching.
# Flags and GUNICORN_CMD_ARGS (gunicorn's own) override any of these per deployment.
CPUS = len(os.sched_getaffinity(0))
worker_class = "gthread"
workers = CPUS
threads = 4  # each thread keeps its own database connection (CONN_MAX_AGE): through PgBouncer
# Idle keep-alive connections wait in the worker's poller, not in a thread. Longer than a proxy's idle
# timeout for its upstream connections (nginx's keepalive_timeout and cloud balancers: 60 s), so the
# proxy closes first and never sends a request on a connection gunicorn is closing.
keepalive = 75
# A worker that has not reported in this long (stuck, not just busy: a gthread worker's main loop
# reports while its threads serve) is killed and replaced. With sync workers this bounds a request.
timeout = 60
graceful_timeout = 30  # on SIGTERM or a max_requests restart, in-flight requests may finish
# Each worker is replaced after about this many requests, the jitter spreading the restarts so that
# the workers never restart together. Measured after a 20 s warm-up, a worker's RSS still grew 14-16 MB
# per 1,000 list requests (142 -> 151 MB over 60 s): 2,000 bounds that at ~30 MB a worker, and a restart
# (~1-2 s of Django start-up in one worker while the other serves) costs under 1 % at that rate.
max_requests = 2000
max_requests_jitter = 200

# The request line (method, path and query, version): 8,190 bytes is the most gunicorn allows.
limit_request_line = 8190
# One header line (name and value): a bearer JWT with large claims, big cookies.
limit_request_field_size = 32768
# Header lines per request (gunicorn's default).
limit_request_fields = 100

_CODES = {400: "bad_request", 403: "permission_denied", 414: "request_line_too_long",
          431: "header_fields_too_large", 417: "expectation_failed", 500: "server_error",
          501: "not_implemented"}
_ADVICE = {
    414: f"The request line (path and query) may be at most {limit_request_line} bytes.",
    431: f"Each header may be at most {limit_request_field_size} bytes, and at most "
         f"{limit_request_fields} headers are accepted.",
}


def _write_json_error(sock, status_int, reason, mesg):
    """Drop-in for gunicorn.util.write_error (gunicorn's HTML error page), same arguments."""
    message = _ADVICE.get(status_int) or (f"{reason}: {mesg}" if mesg else f"{reason}.")
    body = json.dumps({"status": "error", "code": _CODES.get(status_int, "bad_request"),
                       "message": message, "errors": {}}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


# Loaded in the master before the workers fork, so every worker answers with it.
util.write_error = _write_json_error


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
