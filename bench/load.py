"""Bounded mixed load on loopback: one gunicorn pool for everything vs an ingest pool apart.

    .venv/bin/python bench/load.py [--scale 0.1] [--seconds 45] [--rounds 1] [--workers 3]
                                   [--ingest-workers 2] [--monitors 40] [--every 5] [--staff 8]
                                   [--patients 4] [--think 0.2] [--nice 10]

Builds its own PostgreSQL database (`meditrack_bench_load_<pid>`, dropped at the end) with
`manage.py build_scale_data --scale` and serves it with gunicorn `-c gunicorn.conf.py` (the
recommended settings) on free loopback ports, in two configurations, interleaved (A, B, B, A, ...):
  A "one pool":    `--workers` workers answer everything;
  B "ingest apart": POST /api/records/ goes to a pool of `--ingest-workers` of its own, everything
                    else to `--workers` started under `nice -n --nice` (default 10), so that on a
                    busy machine the scheduler runs an ingest worker first (the pool's second lever).
Load: `--monitors` monitors (device keys) each post a 5-reading batch every `--every` s (random
phase); `--staff` staff (admin, doctor, nurse, engineer by turns) list patients, devices,
appointments and work orders and read a detail from the page, `--think` s between requests;
`--patients` patient clients book a free slot and cancel it again. Prints per configuration
throughput, p50/p95/p99 per route, the error count, ingest p99 (target < 100 ms with the separate
pool) and the p95 of all reads (target < 100 ms).
"""

import argparse
import os
import random
import threading
import time
import urllib.error
from datetime import UTC, datetime, timedelta

from common import Server, drop_database, fresh_database, percentile, request
from ingest import make_monitors

READS = {  # role: the lists it reads (each followed by one detail from the page)
    "admin": ["patients", "devices", "appointments", "workorders"],
    "doctor": ["patients", "devices", "appointments"],
    "nurse": ["patients", "devices", "workorders"],
    "engineer": ["devices", "workorders"],
}


def api_pool(env, workers, nice=0):
    """gunicorn with the project's gunicorn.conf.py (the recommended settings) and `workers` workers."""
    return Server(env, flags=["-c", "gunicorn.conf.py", "--workers", str(workers)], start_seconds=60, nice=nice)


class Recorder:
    def __init__(self):
        self.lock, self.latencies, self.errors = threading.Lock(), {}, {}

    def call(self, route, method, url, body=None, token=None, device_key=None):
        headers = {"Authorization": f"Device {device_key}"} if device_key else {"Authorization": f"Bearer {token}"}
        began = time.perf_counter()
        try:
            _status, answer = request(method, url, body, headers, timeout=30)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            with self.lock:
                self.errors.setdefault(route, []).append(str(getattr(exc, "code", exc)))
            return None
        with self.lock:
            self.latencies.setdefault(route, []).append(time.perf_counter() - began)
        return answer


def tokens():
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User

    names = {role: "scale-admin" if role == "admin" else f"scale-{role}-1" for role in (*READS, "patient")}
    return {role: str(RefreshToken.for_user(User.objects.get(username=name)).access_token)
            for role, name in names.items()}


def free_slots(count):
    from clinical.models import TimeSlot

    today = datetime.now(UTC).date()
    return list(TimeSlot.objects.filter(date__gt=today + timedelta(days=1), appointments__isnull=True)
                .values_list("pk", flat=True)[:count])


def monitor(rec, url, key, every, stop, run):
    """5 readings every `every` s; run k's readings lie k + 1 hours back (the same monitors each run)."""
    stop.wait(random.uniform(0, every))
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=run + 1)
    n = 0
    while not stop.is_set():
        body = [{"bpm": 60 + (n + i) % 40, "recorded_at": (base + timedelta(seconds=n + i)).isoformat()}
                for i in range(5)]
        rec.call("POST /api/records/ (5)", "POST", f"{url}/api/records/", body, device_key=key)
        n += 5
        stop.wait(every)


def staff(rec, url, role, token, think, stop):
    while not stop.is_set():
        for name in READS[role]:
            page = rec.call(f"GET /api/{name}/ ({role})", "GET", f"{url}/api/{name}/", token=token)
            rows = (page or {}).get("results") or []
            stop.wait(think)
            if rows:
                pk = random.choice(rows)["id"]
                rec.call(f"GET /api/{name}/<id>/ ({role})", "GET", f"{url}/api/{name}/{pk}/", token=token)
                stop.wait(think)
            if stop.is_set():
                return


def patient(rec, url, token, slots, think, stop):
    while not stop.is_set():
        for slot in slots:
            booked = rec.call("POST /api/appointments/", "POST", f"{url}/api/appointments/",
                              {"slot": slot, "reason": "load"}, token=token)
            if booked:
                rec.call("POST /api/appointments/<id>/cancel/", "POST",
                         f"{url}/api/appointments/{booked['id']}/cancel/", {"reason": "load"}, token=token)
            stop.wait(think * 5)
            if stop.is_set():
                return


def run_once(args, env, keys, users, slots, apart):
    pools = [api_pool(env, args.workers, nice=args.nice), api_pool(env, args.ingest_workers)] if apart \
        else [api_pool(env, args.workers)]
    main, ingest = pools[0].url, pools[-1].url
    rec, stop, threads = Recorder(), threading.Event(), []
    roles = list(READS)
    for key in keys:
        threads.append(threading.Thread(target=monitor, args=(rec, ingest, key, args.every, stop, run_once.count)))
    for i in range(args.staff):
        role = roles[i % len(roles)]
        threads.append(threading.Thread(target=staff, args=(rec, main, role, users[role], args.think, stop)))
    for i in range(args.patients):
        threads.append(threading.Thread(target=patient, args=(rec, main, users["patient"], slots[i::args.patients],
                                                              args.think, stop)))
    run_once.count += 1
    try:
        for thread in threads:
            thread.start()
        time.sleep(args.seconds)
        stop.set()  # requests in flight finish and count; the rate is over the load window
        for thread in threads:
            thread.join()
    finally:
        for pool in pools:
            pool.stop()
    return rec, args.seconds


run_once.count = 0


def report(name, results):
    latencies, errors, seconds = {}, {}, 0.0
    for rec, elapsed in results:
        seconds += elapsed
        for route, values in rec.latencies.items():
            latencies.setdefault(route, []).extend(values)
        for route, values in rec.errors.items():
            errors.setdefault(route, []).extend(values)
    total = sum(len(v) for v in latencies.values())
    print(f"\n== {name}: {total / seconds:,.1f} req/s over {seconds:.0f} s, "
          f"errors {sum(len(v) for v in errors.values())} {dict((r, v[:3]) for r, v in errors.items()) or ''}")
    print(f"{'route':<44} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for route in sorted(latencies):
        values = latencies[route]
        print(f"{route:<44} {len(values):>6} " + " ".join(f"{percentile(values, q) * 1000:>8.0f}"
                                                           for q in (0.5, 0.95, 0.99)))
    ingest = [v for route, values in latencies.items() if route.startswith("POST /api/records/") for v in values]
    reads = [v for route, values in latencies.items() if route.startswith("GET") for v in values]
    def p(values, q):
        return f"{percentile(values, q) * 1000:.0f} ms" if values else "-"

    print(f"ingest p99 {p(ingest, 0.99)} (target < 100), reads p95 {p(reads, 0.95)} (target < 100), "
          f"reads {len(reads) / seconds:.1f}/s, ingest {len(ingest) / seconds:.1f} batches/s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in (("scale", 0.1), ("seconds", 45.0), ("every", 5.0), ("think", 0.2)):
        parser.add_argument(f"--{name}", type=float, default=default)
    for name, default in (("rounds", 1), ("workers", 3), ("ingest-workers", 2), ("monitors", 40), ("staff", 8),
                          ("patients", 4), ("nice", 10)):
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    name = f"meditrack_bench_load_{os.getpid()}"
    env = fresh_database(name)
    try:
        from django.core.management import call_command
        from django.db import connection

        began = time.perf_counter()
        call_command("build_scale_data", scale=args.scale)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"build_scale_data --scale {args.scale}: {time.perf_counter() - began:.0f} s")
        keys = [key for _device, _patient, key in make_monitors(args.monitors)]
        users, slots = tokens(), free_slots(400)
        results = {False: [], True: []}
        for apart in ([False, True, True, False] * args.rounds)[: 2 * args.rounds]:  # A, B, B, A, ...
            results[apart].append(run_once(args, env, keys, users, slots, apart))
        print(f"\nload: {args.monitors} monitors x 5 readings every {args.every:g} s, {args.staff} staff "
              f"(think {args.think:g} s), {args.patients} patients booking; {args.workers} gunicorn workers in all")
        report(f"A: one pool of {args.workers}", results[False])
        report(f"B: ingest apart ({args.workers} for the rest at nice {args.nice} + {args.ingest_workers} for ingest)",
               results[True])
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
