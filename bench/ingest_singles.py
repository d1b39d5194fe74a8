"""bench/ingest.py's single-reading figures (run by it, not alone): one reading per request over HTTP
on the small path and on the staged one, the same statement straight from psycopg (the floor: one
INSERT ... ON CONFLICT ... RETURNING with the rollup in a CTE, one transaction per reading), and the
cost per transaction of each path for each batch size (where the threshold goes)."""

import json
import os
import time
from datetime import timedelta
from pathlib import Path

from common import percentile
from ingest import ChangedServer, bpm_at, make_monitors, post_all

ONE_READING_DESIGN = 70  # readings/s of the one-reading-per-request product this service merges


CHUNK = 50  # requests per turn: the paths take turns in chunks, so the machine's load hits both alike


def worker_cpu_seconds(server):
    """User + system CPU the gunicorn worker has used so far."""
    fields = Path(f"/proc/{server.worker_pid()}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def singles(env, args, start):
    """One reading per request on the small path and on the staged one (both servers up at once) and
    the direct floor, taking turns in chunks of CHUNK: small, staged, direct, direct, staged, small, ...
    Prints readings/s, p50/p99 and the worker's CPU per request of each."""
    for clients in args.single_clients:
        servers = {"small": ChangedServer(env), "staged": ChangedServer(env, SMALL_BATCH_MAX=0)}
        try:
            took, latencies, cpu = {"small": 0.0, "staged": 0.0, "direct": 0.0}, {"small": [], "staged": []}, {}
            keys = {name: [key for _d, _p, key in make_monitors(clients)] for name in servers}
            device_id, patient_id, _key = make_monitors(1)[0]
            done = {name: 0 for name in took}
            for turn in range(max(1, args.singles // CHUNK)):
                for name in ("small", "staged", "direct")[:: 1 if turn % 2 == 0 else -1]:
                    first, done[name] = done[name], done[name] + CHUNK
                    if name == "direct":
                        took[name] += direct_single(device_id, patient_id, range(first, first + CHUNK), start)
                        continue
                    bodies = [(keys[name][n % clients], json.dumps(
                        {"bpm": bpm_at(n), "recorded_at": (start + timedelta(seconds=n)).isoformat()}).encode())
                        for n in range(first, first + CHUNK)]
                    before = worker_cpu_seconds(servers[name])
                    elapsed, lat, _rss, answers = post_all(servers[name], bodies, clients, memory=False)
                    cpu[name] = cpu.get(name, 0.0) + worker_cpu_seconds(servers[name]) - before
                    assert sum(a["created"] for a in answers) == CHUNK
                    took[name], latencies[name] = took[name] + elapsed, latencies[name] + lat
        finally:
            for server in servers.values():
                server.stop()
        rate = {name: done[name] / took[name] for name in took}
        for name in ("small", "staged"):
            p50, p99 = (percentile(latencies[name], q) * 1000 for q in (0.5, 0.99))
            print(f"singles, {clients} client(s), {name} path: {rate[name]:>6,.0f} readings/s, p50 {p50:.1f} ms, "
                  f"p99 {p99:.1f} ms, worker CPU {cpu[name] / done[name] * 1000:.1f} ms/request")
        print(f"singles, direct (psycopg: one INSERT with the rollup CTE per transaction): {rate['direct']:,.0f} "
              f"readings/s; HTTP small path / direct {rate['small'] / rate['direct']:.0%}")
        print(f"singles, {clients} client(s): small/staged {rate['small'] / rate['staged']:.2f}; small vs the "
              f"one-reading design's {ONE_READING_DESIGN}/s: {rate['small'] / ONE_READING_DESIGN:.1f}x (target >= 3x); "
              f"worker CPU bound {1000 / (cpu['small'] / done['small'] * 1000):,.0f} readings/s")


def thresholds(args, start):
    """ms per transaction of readings_ingest in-process (no HTTP) for each batch size, both paths."""
    from monitoring import services
    from monitoring.ingest import Batch, ParsedReading

    default = services.SMALL_BATCH_MAX
    print("batch size | small ms/tx | staged ms/tx | small readings/s | staged readings/s")
    for size in args.sizes:
        cost = {}
        repeats = max(5, 400 // size)
        for threshold in (5000, 0, 0, 5000):
            device_id, patient_id, _key = make_monitors(1)[0]
            batches = [Batch([ParsedReading(device_id, patient_id, bpm_at(k), start + timedelta(seconds=k))
                              for k in range(j * size, (j + 1) * size)], size) for j in range(repeats)]
            services.SMALL_BATCH_MAX = threshold
            began = time.perf_counter()
            for batch in batches:
                services.readings_ingest(batch)
            cost[threshold] = cost.get(threshold, 0.0) + (time.perf_counter() - began) / (2 * repeats)
        services.SMALL_BATCH_MAX = default
        small, staged = cost[5000], cost[0]
        print(f"{size:>10} | {small * 1000:>11.2f} | {staged * 1000:>12.2f} | {size / small:>16,.0f} | "
              f"{size / staged:>17,.0f}")




_DIRECT_SINGLE = (
    "WITH inserted AS (INSERT INTO monitoring_reading (device_id, patient_id, bpm, recorded_at) "
    "VALUES (%s, %s, %s, %s) ON CONFLICT (device_id, recorded_at) DO NOTHING RETURNING patient_id, bpm, recorded_at), "
    "rolled AS (INSERT INTO monitoring_minuterollup (patient_id, minute, count, bpm_sum, bpm_min, bpm_max) "
    "SELECT patient_id, date_trunc('minute', recorded_at), 1, bpm, bpm, bpm FROM inserted "
    "ON CONFLICT (patient_id, minute) DO UPDATE SET count = monitoring_minuterollup.count + 1, "
    "bpm_sum = monitoring_minuterollup.bpm_sum + excluded.bpm_sum, "
    "bpm_min = LEAST(monitoring_minuterollup.bpm_min, excluded.bpm_min), "
    "bpm_max = GREATEST(monitoring_minuterollup.bpm_max, excluded.bpm_max)) SELECT * FROM inserted"
)


def direct_single(device_id, patient_id, numbers, start):
    """Seconds for one INSERT ... ON CONFLICT ... RETURNING with the rollup in a CTE from psycopg per
    reading, one transaction each (no validation, no alert rules): the floor a request stands on."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as conn:
        began = time.perf_counter()
        for n in numbers:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(_DIRECT_SINGLE, (device_id, patient_id, bpm_at(n), start + timedelta(seconds=n)))
        return time.perf_counter() - began
