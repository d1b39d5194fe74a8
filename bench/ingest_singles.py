"""bench/ingest.py's single-reading figures (run by it, not alone): one reading per request over HTTP
on the small path and on the staged one, the same statement straight from psycopg (the floor: one
INSERT ... ON CONFLICT ... RETURNING with the rollup in a CTE, one transaction per reading), and the
cost per transaction of each path for each batch size (where the threshold goes)."""

import json
import time
from datetime import timedelta

from common import percentile
from ingest import ChangedServer, bpm_at, make_monitors, post_all

ONE_READING_DESIGN = 70  # readings/s of the one-reading-per-request product this service merges


def singles(env, args, start):
    """One reading per request, small path vs staged, from 1 and from a few clients, and the direct
    floor, interleaved: small, direct, staged, staged, direct, small."""
    for clients in args.single_clients:
        took, latencies, direct = {False: 0.0, True: 0.0}, {False: [], True: []}, []
        for staged in (False, None, True, True, None, False):
            if staged is None:
                direct.append(direct_single(args.singles // 2, start))
                continue
            monitors = make_monitors(clients)
            bodies = [(monitors[n % clients][2], json.dumps(
                {"bpm": bpm_at(n), "recorded_at": (start + timedelta(seconds=n)).isoformat()}).encode())
                for n in range(args.singles // 2)]
            server = ChangedServer(env, **({"SMALL_BATCH_MAX": 0} if staged else {}))
            try:
                elapsed, lat, _rss, answers = post_all(server, bodies, clients, memory=False)
            finally:
                server.stop()
            assert sum(a["created"] for a in answers) == len(bodies)
            took[staged], latencies[staged] = took[staged] + elapsed, latencies[staged] + lat
        rate = {staged: (args.singles // 2) * 2 / took[staged] for staged in took}
        for staged, name in ((False, "small path"), (True, "staged path")):
            p50, p99 = (percentile(latencies[staged], q) * 1000 for q in (0.5, 0.99))
            print(f"singles, {clients} client(s), {name}: {rate[staged]:>7,.0f} readings/s, p50 {p50:.1f} ms, "
                  f"p99 {p99:.1f} ms")
        floor = sum(direct) / len(direct)
        print(f"singles, direct (psycopg, one INSERT with the rollup CTE per transaction): {floor:,.0f} readings/s; "
              f"HTTP small path / direct {rate[False] / floor:.0%}")
        print(f"singles, {clients} client(s): small/staged {rate[False] / rate[True]:.2f}, small vs the "
              f"one-reading design's {ONE_READING_DESIGN}/s: {rate[False] / ONE_READING_DESIGN:.1f}x (target >= 3x)")


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


def direct_single(count, start):
    """Readings/s of one INSERT ... ON CONFLICT ... RETURNING with the rollup in a CTE from psycopg,
    one transaction per reading (no validation, no alert rules): the floor a request stands on."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    device_id, patient_id, _key = make_monitors(1)[0]
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as conn:
        began = time.perf_counter()
        for n in range(count):
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(_DIRECT_SINGLE, (device_id, patient_id, bpm_at(n), start + timedelta(seconds=n)))
        return count / (time.perf_counter() - began)
