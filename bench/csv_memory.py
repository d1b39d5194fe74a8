"""CSV export benchmark: the gunicorn worker's memory (RSS, from /proc) while it streams
`GET /api/devices/?format=csv` of 10,000 and of 100,000 rows, and rows/s. Constant memory means the
peak over the baseline is about the same for both.

    .venv/bin/python bench/csv_memory.py [--small 10000] [--large 100000] [--patients]

Needs the local PostgreSQL (BENCH_PG_URL); creates its own database (meditrack_bench_csv) and drops
it at the end. One sync worker (common.Server); the client reads the body in 64 KB pieces while a
thread samples the worker's VmRSS every 20 ms. `--patients` also exports the same counts of patient
records (audited: one read entry per patient, written before the stream starts).
"""

import argparse
import threading
import time
import urllib.error
import urllib.request

from common import Server, drop_database, fresh_database

DATABASE = "meditrack_bench_csv"


def seed(small, large, patients):
    from accounts.choices import Role
    from accounts.models import User
    from clinical.models import Patient
    from devices.models import Device, Hospital

    admin = User.objects.create(username="bench-admin", email="admin@bench.local", role=Role.ADMIN)
    engineer = User.objects.create(username="bench-engineer", email="eng@bench.local", role=Role.ENGINEER)
    hospitals = [Hospital.objects.create(name="Small"), Hospital.objects.create(name="Rest")]
    for start in range(0, large, 5000):
        Device.objects.bulk_create([
            Device(asset_number=f"B-{n:07d}", serial_number=f"SN{n}", name=f"Infusion pump {n}", model="IP-200",
                   manufacturer="Acme", hospital=hospitals[0 if n < small else 1], assigned_engineer=engineer,
                   notes="=SUM(A1)" if n % 10 == 0 else "")
            for n in range(start, min(large, start + 5000))])
    if patients:
        for start in range(0, large, 5000):
            Patient.objects.bulk_create([
                Patient(first_name="Bench", last_name=f"P{n:07d}", medical_record_number=f"BMRN-{n:07d}",
                        blood_type="A+" if n < small else "B+")
                for n in range(start, min(large, start + 5000))])
    return admin, hospitals


def export(server, url, token):
    """(rows, seconds, baseline MB, peak MB) for one streamed CSV."""
    baseline, peak, done = server.worker_rss_mb(), [0.0], threading.Event()

    def sample():
        while not done.wait(0.02):
            peak[0] = max(peak[0], server.worker_rss_mb())

    sampler = threading.Thread(target=sample)
    sampler.start()
    began, lines = time.perf_counter(), 0
    request = urllib.request.Request(server.url + url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        while chunk := response.read(65536):
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    return lines - 1, seconds, baseline, max(peak[0], baseline)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--patients", action="store_true")
    args = parser.parse_args()
    env = fresh_database(DATABASE)
    admin, hospitals = seed(args.small, args.large, args.patients)
    from rest_framework_simplejwt.tokens import RefreshToken

    token = str(RefreshToken.for_user(admin).access_token)
    server = Server(env, timeout=600, start_seconds=60)
    try:
        cases = [("devices", f"/api/devices/?format=csv&hospital={hospitals[0].pk}", args.small),
                 ("devices", "/api/devices/?format=csv", args.large)]
        if args.patients:
            cases += [("patients", "/api/patients/?format=csv&blood_type=A%2B", args.small),
                      ("patients", "/api/patients/?format=csv", args.large)]
        export(server, "/api/devices/?format=csv&page_size=1&hospital=999999", token)  # warm the worker
        print(f"{'list':9} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'RSS before':>11} {'RSS peak':>9} {'growth':>7}")
        for name, url, expected in cases:
            rows, seconds, baseline, peak = export(server, url, token)
            assert rows == expected, (url, rows, expected)
            print(f"{name:9} {rows:8d} {seconds:8.2f} {rows / seconds:8.0f} {baseline:9.1f}MB {peak:7.1f}MB "
                  f"{peak - baseline:5.1f}MB")
    finally:
        server.stop()
        drop_database(DATABASE)


if __name__ == "__main__":
    main()
