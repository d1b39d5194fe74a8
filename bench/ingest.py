"""Ingest benchmark: HTTP batches through gunicorn vs the same COPY -> ON CONFLICT path straight to the database,
and the cost of the alert rules: the same data posted with the rules on and off.

    .venv/bin/python bench/ingest.py [--batches 40] [--clients 4] [--size 5000] [--rounds 2]

Needs the local PostgreSQL (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432); it creates
and drops its own database (`meditrack_bench_ingest_<pid>`) and serves on free loopback ports.
Prints readings/s for both paths, their ratio, p50/p95 batch latency, readings/s for a replay of the
same batches (all duplicates), and the gunicorn worker's resident memory after the first batch,
after the last and at its peak.
Then readings/s with the alert rules on and off (interleaved rounds off, on, on, off, ... on fresh
monitors with the same readings, each with its own gunicorn), their ratio, and the statements one
5,000-reading batch runs with the rules on and off. The data holds a sustained breach and its
recovery every 5,000 readings, so the rules open and resolve alerts as they go.

The rules are always on in the service; only this script turns them off, in its own gunicorn
worker (`rules_off_application` below sets monitoring.services.ALERT_RULES_ENABLED = False).
"""

import argparse
import json
import os
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from common import PG_ADMIN_URL, ROOT, Server, fresh_database, percentile, request


def rules_off_application():
    """The WSGI application with the alert rules switched off (a gunicorn app factory)."""
    from config.wsgi import application
    from monitoring import services

    services.ALERT_RULES_ENABLED = False
    return application


class RulesServer(Server):
    """common.Server serving the application with the alert rules on or off."""

    def __init__(self, env, *, rules):
        app = "config.wsgi:application" if rules else "ingest:rules_off_application()"
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


def batches_for(monitors, batches, size, start):
    """Pre-serialised bodies: batch j goes to monitor j % clients, each device's time runs on."""
    bodies = []
    for j in range(batches):
        device_id, _patient, key = monitors[j % len(monitors)]
        offset = (j // len(monitors)) * size
        readings = [{"device": device_id, "bpm": bpm_at(offset + i),
                     "recorded_at": (start + timedelta(seconds=offset + i)).isoformat()} for i in range(size)]
        bodies.append((key, json.dumps(readings).encode()))
    return bodies


def post_all(server, bodies, clients):
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
            rss.append(server.worker_rss_mb())
        return answer

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(post, bodies))
    return time.perf_counter() - began, latencies, rss, answers


def direct_copy(monitors, batches, size, start):
    """The same statements the service runs, from psycopg, one transaction per batch."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    rows_per_batch = []
    for j in range(batches):
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
    parser.add_argument("--rounds", type=int, default=2, help="rounds of rules off/on (interleaved)")
    args = parser.parse_args()

    name = f"meditrack_bench_ingest_{os.getpid()}"
    env = fresh_database(name)
    try:
        run(env, args)
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", f"{PG_ADMIN_URL}/postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       check=False)


def run(env, args):
    http_monitors, direct_monitors = make_monitors(args.clients), make_monitors(args.clients)
    start = datetime.now(UTC) - timedelta(days=20)
    bodies = batches_for(http_monitors, args.batches, args.size, start)
    total = args.batches * args.size

    server = Server(env)
    try:
        idle_rss = server.worker_rss_mb()
        seconds, latencies, rss, answers = post_all(server, bodies, args.clients)
        assert sum(a["created"] for a in answers) == total
        replay_seconds, _lat, replay_rss, replayed = post_all(server, bodies, args.clients)
        assert sum(a["duplicates"] for a in replayed) == total
    finally:
        server.stop()
    direct_seconds = direct_copy(direct_monitors, args.batches, args.size, start)

    http_rate, direct_rate = total / seconds, total / direct_seconds
    print(f"readings: {total:,} in {args.batches} batches of {args.size:,} from {args.clients} clients "
          "(gunicorn, 1 sync worker, PostgreSQL)")
    print(f"HTTP ingest:        {http_rate:>10,.0f} readings/s")
    print(f"direct COPY path:   {direct_rate:>10,.0f} readings/s")
    print(f"ratio HTTP/direct:  {http_rate / direct_rate:>10.0%}")
    print(f"batch latency:      p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
          f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms")
    print(f"replay (all dups):  {total / replay_seconds:>10,.0f} readings/s")
    print(f"worker RSS:         idle {idle_rss:.0f} MB, after first batch {rss[0]:.0f} MB, "
          f"after 25% {rss[len(rss) // 4]:.0f} MB, after 50% {rss[len(rss) // 2]:.0f} MB, "
          f"after last {rss[-1]:.0f} MB, peak {max(rss + replay_rss):.0f} MB")
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
        server = RulesServer(env, rules=rules)
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
