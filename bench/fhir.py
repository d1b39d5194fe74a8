"""FHIR benchmark: the Observation search for one patient over 7 days of 1 Hz readings, 100 per
page, against the same rows from the REST history `GET /api/records/{id}/` (100 per page), in one
run. Both walk their `next` links page after page from the newest reading, one request of each in
turn on the same gunicorn worker, so load elsewhere falls on both alike. Prints req/s of each and
the ratio (target: FHIR at least 50 % of REST).

    .venv/bin/python bench/fhir.py [--pages 300] [--days 7]

Needs the local PostgreSQL (BENCH_PG_URL); creates its own database (meditrack_bench_fhir_<pid>),
loads the readings server-side (generate_series), serves on a free loopback port, and drops the
database at the end. The caller is an admin (the same token on both routes); both routes audit
their read (one entry per request).
"""

import argparse
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

# This file is bench/fhir.py: bench/ must not shadow the `fhir` app (common puts the root first).
sys.path = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.append(str(Path(__file__).resolve().parent))

from common import Server, drop_database, fresh_database, request  # noqa: E402


def load(days):
    from django.db import connection
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.choices import Role
    from accounts.models import User
    from clinical.models import Patient
    from devices.choices import DeviceCategory
    from devices.models import Device, Hospital

    hospital = Hospital.objects.create(name="Bench hospital")
    patient = Patient.objects.create(first_name="Bench", last_name="Patient")
    device = Device.objects.create(asset_number="BENCH-FHIR-1", serial_number="SN-BENCH-1", name="Monitor",
                                   hospital=hospital, category=DeviceCategory.MONITOR, patient=patient)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_reading (device_id, patient_id, bpm, recorded_at, device_suspect) "
            "SELECT %s, %s, 55 + (random() * 70)::int, date_trunc('second', now()) - g * interval '1 second', "
            "g %% 97 = 0 FROM generate_series(1, %s) g",
            [device.pk, patient.pk, days * 86400],
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM monitoring_reading")
        total = cursor.fetchone()[0]
    admin = User.objects.create(username="bench-admin", email="bench@bench.local", role=Role.ADMIN)
    return patient.pk, total, time.perf_counter() - began, str(RefreshToken.for_user(admin).access_token)


class Walker:
    """Follows one route's next links from its first page; starts over at the end."""

    def __init__(self, first, next_of, rows_of, token):
        self.first, self.next_of, self.rows_of = first, next_of, rows_of
        self.url, self.headers = first, {"Authorization": f"Bearer {token}"}
        self.spent, self.requests, self.rows, self.samples = 0.0, 0, 0, []

    def step(self):
        began = time.perf_counter()
        status, body = request("GET", self.url, headers=self.headers)
        took = time.perf_counter() - began
        self.spent += took
        self.samples.append(took)
        assert status == 200, body
        self.requests += 1
        self.rows += self.rows_of(body)
        self.url = self.next_of(body) or self.first

    @property
    def rate(self):
        return self.requests / self.spent


def fhir_next(body):
    return next((link["url"] for link in body.get("link", []) if link["relation"] == "next"), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300, help="pages per route")
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()

    import os

    name = f"meditrack_bench_fhir_{os.getpid()}"
    env = fresh_database(name)
    server = None
    try:
        patient_id, total, load_seconds, token = load(args.days)
        server = Server(env)
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - args.days * 86400 - 60))
        until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        code = urllib.parse.quote("http://loinc.org|8867-4", safe="")
        fhir = Walker(f"{server.url}/fhir/Observation?patient={patient_id}&code={code}&date=ge{since}"
                      f"&date=le{until}&_count=100", fhir_next, lambda body: len(body.get("entry", [])), token)
        rest = Walker(f"{server.url}/api/records/{patient_id}/?from={since}&to={until}&page_size=100",
                      lambda body: body["next"], lambda body: len(body["results"]), token)
        for walker in (fhir, rest):  # warm up: connections, caches, imports
            for _ in range(10):
                walker.step()
            walker.url, walker.spent, walker.requests, walker.rows, walker.samples = walker.first, 0.0, 0, 0, []
        for _ in range(args.pages):
            fhir.step()
            rest.step()
    finally:
        if server is not None:
            server.stop()
        drop_database(name)
    print(f"readings: {total:,} of one patient, 1 Hz over {args.days} days (loaded in {load_seconds:.0f} s); "
          f"{args.pages} pages of 100 per route, walked newest first along the next links, interleaved")
    print(f"FHIR  GET /fhir/Observation?patient=&code=&date=ge&date=le&_count=100: {fhir.rate:7.1f} req/s "
          f"({fhir.rows:,} Observations)")
    print(f"REST  GET /api/records/{{id}}/?from=&to=&page_size=100:                {rest.rate:7.1f} req/s "
          f"({rest.rows:,} readings)")
    print(f"FHIR / REST: {fhir.rate / rest.rate:.0%} (target >= 50 %)")
    for label, walker in (("FHIR", fhir), ("REST", rest)):
        head, tail = walker.samples[:20], walker.samples[-20:]
        print(f"{label} median latency, pages 1-20: {statistics.median(head) * 1000:.1f} ms; "
              f"pages {len(walker.samples) - 19}-{len(walker.samples)}: {statistics.median(tail) * 1000:.1f} ms "
              "(keyset: a deep page costs what the first does)")


if __name__ == "__main__":
    main()
