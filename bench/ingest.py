"""Ingest benchmark: HTTP batches through gunicorn vs the same COPY -> ON CONFLICT path straight to the database.

    .venv/bin/python bench/ingest.py [--batches 40] [--clients 4] [--size 5000]

Needs the local PostgreSQL (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432); it creates
and drops its own database `meditrack_bench_ingest`. Prints readings/s for both paths, their
ratio, p50/p95 batch latency, readings/s for a replay of the same batches (all duplicates), and
the gunicorn worker's resident memory after the first batch, after the last and at its peak.
"""

import argparse
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from common import Server, fresh_database, percentile, request


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
        readings = [{"device": device_id, "bpm": 60 + (i % 50),
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
        rows_per_batch.append([(device_id, patient_id, 60 + (i % 50), start + timedelta(seconds=offset + i))
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
    args = parser.parse_args()

    env = fresh_database("meditrack_bench_ingest")
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


if __name__ == "__main__":
    main()
