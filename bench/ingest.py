"""Ingest benchmark, PostgreSQL, one gunicorn sync worker:

    .venv/bin/python bench/ingest.py [--batches 40] [--clients 4] [--size 5000] [--rounds 2]
                                     [--singles 1500] [--single-clients 1,4] [--sizes 1,5,10,20,50,100,200]

1. HTTP batches vs the same COPY -> ON CONFLICT straight to the database, interleaved (HTTP, direct,
   HTTP, direct): readings/s, the ratio, batch p50/p95, a replay (all duplicates), worker memory.
2. Singles: one reading per request from 1 and from 4 clients, on the small path and on the staged
   one (threshold 0, its own gunicorn), interleaved small, staged, staged, small: readings/s, p50/p99,
   the ratio, and the multiple of the one-reading-per-request design's 70 readings/s (target 3x).
3. The threshold: ms per transaction of readings_ingest in-process for each batch size, both paths.
4. Alert rules on vs off (interleaved off, on, on, off, fresh monitors, the same readings, each with
   its own gunicorn) and the statements of one 5,000-reading batch; the data holds a sustained breach
   and its recovery every 5,000 readings. The service always runs the rules and its threshold: only
   this script's app factory below changes them, in its own gunicorn worker.
Its own database (meditrack_bench_ingest_<pid>, on BENCH_PG_URL) and free loopback ports.
"""

import argparse
import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from common import PG_ADMIN_URL, ROOT, Server, drop_database, fresh_database, percentile, request


def changed_application(**changes):
    """The WSGI application with monitoring.services switches changed (a gunicorn app factory):
    ALERT_RULES_ENABLED=False, or SMALL_BATCH_MAX=0 (every batch staged)."""
    from config.wsgi import application
    from monitoring import services

    for name, value in changes.items():
        setattr(services, name, value)
    return application


class ChangedServer(Server):
    """common.Server serving the application as shipped, or with services' switches changed."""

    def __init__(self, env, **changes):
        arguments = ", ".join(f"{name}={value!r}" for name, value in changes.items())
        app = f"ingest:changed_application({arguments})" if changes else "config.wsgi:application"
        super().__init__(env, app=app, pythonpath=f"{ROOT},{ROOT / 'bench'}")


def bpm_at(i):
    """Mostly 60-109 bpm (spikes above 100 included); every 5,000 readings (83 minutes at 1 Hz) 20 s of
    tachycardia: an alert opens, then resolves once the readings are back inside the band."""
    return 125 + i % 10 if 2500 <= i % 5000 < 2520 else 60 + (i % 50)


def make_monitors(count):
    from accounts.choices import Role
    from accounts.models import User
    from clinical.models import Patient
    from devices.choices import DeviceCategory
    from devices.models import Device, Hospital
    from monitoring.services import api_key_issue

    hospital = Hospital.objects.create(name=f"Bench hospital {count}-{time.time()}")
    admin = User.objects.create(username=f"bench-admin-{time.time()}", email=f"a{time.time()}@bench.local",
                                role=Role.ADMIN)
    monitors = []
    for n in range(count):
        patient = Patient.objects.create(first_name="Bench", last_name=f"Patient {n}")
        device = Device.objects.create(asset_number=f"BENCH-{time.time()}-{n}", name="Monitor", hospital=hospital,
                                       category=DeviceCategory.MONITOR, patient=patient)
        _key, raw = api_key_issue(device=device, by=admin)
        monitors.append((device.id, patient.id, raw))
    return monitors


def batches_for(monitors, batches, size, start, first=0):
    """Pre-serialised bodies: batch j goes to monitor j % clients, each device's time runs on."""
    bodies = []
    for j in range(first, first + batches):
        device_id, _patient, key = monitors[j % len(monitors)]
        offset = (j // len(monitors)) * size
        readings = [{"device": device_id, "bpm": bpm_at(offset + i),
                     "recorded_at": (start + timedelta(seconds=offset + i)).isoformat()} for i in range(size)]
        bodies.append((key, json.dumps(readings).encode()))
    return bodies


def post_all(server, bodies, clients, memory=True):
    latencies, rss = [], []
    lock = threading.Lock()

    def post(item):
        key, body = item
        began = time.perf_counter()
        status, answer = request("POST", f"{server.url}/api/records/", body, {"Authorization": f"Device {key}"})
        elapsed = time.perf_counter() - began
        assert status == 201, answer
        with lock:
            latencies.append(elapsed)
            rss.append(server.worker_rss_mb() if memory else 0)
        return answer

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(post, bodies))
    return time.perf_counter() - began, latencies, rss, answers


def direct_copy(monitors, batches, size, start, first=0):
    """The same statements the service runs, from psycopg, one transaction per batch (batches
    first .. first + batches - 1 of the sequence batches_for describes)."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    rows_per_batch = []
    for j in range(first, first + batches):
        device_id, patient_id, _key = monitors[j % len(monitors)]
        offset = (j // len(monitors)) * size
        rows_per_batch.append([(device_id, patient_id, bpm_at(offset + i), start + timedelta(seconds=offset + i))
                               for i in range(size)])
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as conn:
        began = time.perf_counter()
        for rows in rows_per_batch:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("CREATE TEMP TABLE stage (device_id bigint, patient_id bigint, bpm smallint, "
                            "recorded_at timestamptz) ON COMMIT DROP")
                with cur.copy("COPY stage (device_id, patient_id, bpm, recorded_at) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute("INSERT INTO monitoring_reading (device_id, patient_id, bpm, recorded_at) "
                            "SELECT * FROM stage ORDER BY device_id, recorded_at "
                            "ON CONFLICT (device_id, recorded_at) DO NOTHING")
        return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of HTTP/direct and of rules off/on")
    parser.add_argument("--singles", type=int, default=1500, help="single-reading requests per path")
    parser.add_argument("--single-clients", type=lambda v: [int(n) for n in v.split(",")], default=[1, 4])
    parser.add_argument("--sizes", type=lambda v: [int(n) for n in v.split(",")], default=[1, 5, 10, 20, 50, 100, 200])
    parser.add_argument("--synchronous-commit", choices=["on", "off"], default="on",
                        help="off: the bench database only, to separate the paths' cost from the disk's flush")
    args = parser.parse_args()

    name = f"meditrack_bench_ingest_{os.getpid()}"
    env = fresh_database(name)
    if args.synchronous_commit == "off":
        from django.db import connections

        subprocess.run(["psql", f"{PG_ADMIN_URL}/postgres", "-q", "-c",
                        f"ALTER DATABASE {name} SET synchronous_commit = off"], check=True)
        connections.close_all()
    print(f"synchronous_commit={args.synchronous_commit}")
    try:
        run(env, args)
    finally:
        drop_database(name)


def run(env, args):
    http_monitors, direct_monitors = make_monitors(args.clients), make_monitors(args.clients)
    start = datetime.now(UTC) - timedelta(days=20)
    total = args.batches * args.size
    per_round = args.batches // args.rounds
    bodies = [batches_for(http_monitors, per_round, args.size, start, first=r * per_round) for r in range(args.rounds)]

    seconds = direct_seconds = 0.0
    latencies, rss, created = [], [], 0
    server = Server(env)
    try:
        idle_rss = server.worker_rss_mb()
        for r in range(args.rounds):  # A, B, A, B: HTTP then direct on the same share of the batches
            elapsed, lat, round_rss, answers = post_all(server, bodies[r], args.clients)
            seconds, created = seconds + elapsed, created + sum(a["created"] for a in answers)
            latencies, rss = latencies + lat, rss + round_rss
            direct_seconds += direct_copy(direct_monitors, per_round, args.size, start, first=r * per_round)
        total = per_round * args.rounds * args.size
        assert created == total
        replay_seconds, _lat, replay_rss, replayed = post_all(server, [b for part in bodies for b in part],
                                                              args.clients)
        assert sum(a["duplicates"] for a in replayed) == total
    finally:
        server.stop()

    http_rate, direct_rate = total / seconds, total / direct_seconds
    print(f"readings: {total:,} in {per_round * args.rounds} batches of {args.size:,} from {args.clients} clients "
          f"(gunicorn, 1 sync worker, PostgreSQL; {args.rounds} interleaved rounds HTTP, direct)")
    print(f"HTTP ingest:        {http_rate:>10,.0f} readings/s")
    print(f"direct COPY path:   {direct_rate:>10,.0f} readings/s")
    print(f"ratio HTTP/direct:  {http_rate / direct_rate:>10.0%}")
    print(f"batch latency:      p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms")
    print(f"replay (all dups):  {total / replay_seconds:>10,.0f} readings/s")
    print(f"worker RSS:         idle {idle_rss:.0f} MB, after first batch {rss[0]:.0f} MB, "
          f"after 25% {rss[len(rss) // 4]:.0f} MB, after 50% {rss[len(rss) // 2]:.0f} MB, "
          f"after last {rss[-1]:.0f} MB, peak {max(rss + replay_rss):.0f} MB")
    import ingest_singles  # its figures need this module's helpers: imported here, not at the top

    ingest_singles.singles(env, args, start)
    ingest_singles.thresholds(args, start)
    rules_comparison(env, args, start, total)


def rules_comparison(env, args, start, total):
    """Readings/s with the alert rules on and off: same readings, fresh monitors per round."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from monitoring import services
    from monitoring.ingest import Batch, ParsedReading
    from monitoring.models import Alert

    seconds = {True: 0.0, False: 0.0}
    opened = {True: 0, False: 0}
    order = [False, True, True, False] * ((args.rounds + 1) // 2)
    for rules in order[: 2 * args.rounds]:
        monitors = make_monitors(args.clients)
        bodies = batches_for(monitors, args.batches, args.size, start)
        server = ChangedServer(env, **({} if rules else {"ALERT_RULES_ENABLED": False}))
        try:
            elapsed, _latencies, _rss, answers = post_all(server, bodies, args.clients)
        finally:
            server.stop()
        assert sum(a["created"] for a in answers) == total
        seconds[rules] += elapsed
        opened[rules] += Alert.objects.filter(patient_id__in=[patient for _d, patient, _k in monitors]).count()
    on, off = total * args.rounds / seconds[True], total * args.rounds / seconds[False]
    print(f"alert rules on:     {on:>10,.0f} readings/s ({opened[True]:,} alerts opened)")
    print(f"alert rules off:    {off:>10,.0f} readings/s ({opened[False]:,} alerts opened)")
    print(f"ratio on/off:       {on / off:>10.0%}  (target >= 90 %)")

    counts = {}
    for rules in (True, False):
        device_id, patient_id, _key = make_monitors(1)[0]
        batch = Batch([ParsedReading(device_id, patient_id, bpm_at(i), start + timedelta(seconds=i))
                       for i in range(5000)], 5000)
        services.ALERT_RULES_ENABLED = rules
        try:
            with CaptureQueriesContext(connection) as queries:
                services.readings_ingest(batch)
        finally:
            services.ALERT_RULES_ENABLED = True
        counts[rules] = len(queries)
    print(f"statements per 5,000-reading batch: {counts[True]} with the rules, {counts[False]} without")


if __name__ == "__main__":
    main()
