"""History benchmark: bucket queries through the API over 10 million readings of 20 patients.

    .venv/bin/python bench/history.py [--patients 20] [--per-patient 500000] [--runs 7]

Needs the local PostgreSQL (BENCH_PG_URL); creates its own database `meditrack_bench_history`.
Loads the readings server-side (generate_series: one reading every ~1.2 s per patient over the
last 7 days), builds the per-minute rollup the way ingest maintains it, then times through
gunicorn: a 24-hour window in 5-minute buckets (raw rows) and a 7-day window in hourly buckets
(rollup), plus the first raw page. Prints the median and best of --runs for each.
"""

import argparse
import statistics
import time

from common import Server, fresh_database, request

WINDOW_DAYS = 7


def load(patients, per_patient):
    from django.db import connection

    from accounts.choices import Role
    from accounts.models import User
    from clinical.models import Patient
    from devices.choices import DeviceCategory
    from devices.models import Device, Hospital

    hospital = Hospital.objects.create(name="Bench hospital")
    targets = []
    for n in range(patients):
        patient = Patient.objects.create(first_name="Bench", last_name=f"Patient {n}")
        device = Device.objects.create(asset_number=f"BENCH-H-{n}", name="Monitor", hospital=hospital,
                                       category=DeviceCategory.MONITOR, patient=patient)
        targets.append((device.id, patient.id))
    step = WINDOW_DAYS * 86400 / per_patient
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for device_id, patient_id in targets:
            cursor.execute(
                "INSERT INTO monitoring_reading (device_id, patient_id, bpm, recorded_at) "
                "SELECT %s, %s, 55 + (random() * 70)::int, "
                "now() - interval '7 days' + g * make_interval(secs => %s) FROM generate_series(0, %s - 1) g",
                [device_id, patient_id, step, per_patient],
            )
        cursor.execute(
            "INSERT INTO monitoring_minuterollup (patient_id, minute, count, bpm_sum, bpm_min, bpm_max) "
            "SELECT patient_id, date_trunc('minute', recorded_at), count(*), sum(bpm), min(bpm), max(bpm) "
            "FROM monitoring_reading GROUP BY 1, 2"
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM monitoring_reading")
        total = cursor.fetchone()[0]
    admin = User.objects.create(username="bench-admin", email="bench@bench.local", role=Role.ADMIN)
    return targets, total, time.perf_counter() - began, admin


def timed(url, token, runs):
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        status, body = request("GET", url, headers={"Authorization": f"Bearer {token}"})
        samples.append(time.perf_counter() - began)
        assert status == 200, body
    return statistics.median(samples) * 1000, min(samples) * 1000, body


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--per-patient", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    env = fresh_database("meditrack_bench_history")
    targets, total, load_seconds, admin = load(args.patients, args.per_patient)
    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(admin).access_token)
    patient_id = targets[len(targets) // 2][1]
    server = Server(env)
    try:
        base = f"{server.url}/api/records/{patient_id}/"
        day = timed(f"{base}?bucket=5m", token, args.runs)
        week_from = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - WINDOW_DAYS * 86400))
        week = timed(f"{base}?bucket=1h&from={week_from}", token, args.runs)
        page = timed(f"{base}?page_size=100", token, args.runs)
    finally:
        server.stop()
    print(f"readings: {total:,} for {len(targets)} patients over {WINDOW_DAYS} days "
          f"(loaded and rolled up in {load_seconds:.0f} s)")
    print(f"24 h in 5-minute buckets ({len(day[2]['results'])} buckets, source {day[2]['source']}): "
          f"median {day[0]:.0f} ms, best {day[1]:.0f} ms")
    print(f"7 days in hourly buckets ({len(week[2]['results'])} buckets, source {week[2]['source']}): "
          f"median {week[0]:.0f} ms, best {week[1]:.0f} ms")
    print(f"newest 100 raw readings (cursor page): median {page[0]:.0f} ms, best {page[1]:.0f} ms")


if __name__ == "__main__":
    main()
