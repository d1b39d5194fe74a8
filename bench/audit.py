"""Audit benchmark: what auditing costs, in one run. Req/s of a patient detail and of a 50-row patient
list, and readings/s of ingest batches, each with auditing off and on, and the ratios on/off. One
gunicorn worker per mode, all on the same database, and the requests interleaved one by one across
them, so that load elsewhere on the machine falls on every mode alike.

    .venv/bin/python bench/audit.py [--detail 600] [--list 300] [--batches 40] [--size 1000]

Needs the local PostgreSQL (BENCH_PG_URL); creates its own database (meditrack_bench_audit_<pid>)
and drops it at the end, and serves on free loopback ports. The reads are a department nurse's
(scoped by visible_to with her break-glass grants; each audited request then runs the one INSERT of
its entries, which checks her live grants itself); ingest posts with a device API key.

Auditing is always on in the application; only this script turns it off, in its own gunicorn
worker (`audit_off_application` below: the settings without AuditMiddleware, and every model
unregistered from django-auditlog), so "off" is the same code without the read entries and the
change entries. There is no setting or environment switch for it.
"""

import argparse
import json
import os
import time
from datetime import timedelta

try:
    from common import ROOT, Server, drop_database, fresh_database, request
except ImportError:  # imported by gunicorn as bench.audit (bench/ not on the path: `audit` is the app)
    from bench.common import ROOT, Server, drop_database, fresh_database, request

AUDIT_MIDDLEWARE = "audit.middleware.AuditMiddleware"


def audit_off_application():
    """The WSGI application without auditing (a gunicorn app factory, bench only)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != AUDIT_MIDDLEWARE]
    from auditlog.registry import auditlog

    for model in list(auditlog.get_models()):
        auditlog.unregister(model)
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


class AuditServer(Server):
    """common.Server with auditing on or off."""

    APPS = {"off": "bench.audit:audit_off_application()", "on": "config.wsgi:application"}

    def __init__(self, env, *, mode):
        super().__init__(env, app=self.APPS[mode], pythonpath=str(ROOT))


def load(patients):
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.choices import Role
    from accounts.models import User
    from clinical.models import Department, Patient
    from devices.choices import DeviceCategory
    from devices.models import Device, Hospital
    from monitoring.services import api_key_issue

    department = Department.objects.create(name="Bench cardiology")
    nurse = User.objects.create(username="bench-nurse", email="nurse@bench.local", role=Role.NURSE,
                                first_name="Bench", last_name="Nurse", department=department)
    admin = User.objects.create(username="bench-admin", email="admin@bench.local", role=Role.ADMIN)
    rows = Patient.objects.bulk_create(
        Patient(first_name="Bench", last_name=f"Patient {n:03d}", medical_record_number=f"MRN-BENCH-{n:05d}",
                department=department, phone="+966501234567", medical_history="Hypertension.")
        for n in range(patients))
    hospital = Hospital.objects.create(name="Bench hospital")
    device = Device.objects.create(asset_number="BENCH-AUDIT-1", name="Monitor", hospital=hospital,
                                   category=DeviceCategory.MONITOR, patient=rows[0])
    _key, raw = api_key_issue(device=device, by=admin)
    return str(RefreshToken.for_user(nurse).access_token), rows[0].pk, device.pk, raw


def interleaved(servers, send, count):
    """Seconds spent per server over `count` sends each, one send per server in turn (rotating who goes
    first)."""
    spent = [0.0] * len(servers)
    for n in range(count):
        for k in range(len(servers)):
            index = (n + k) % len(servers)
            began = time.perf_counter()
            send(servers[index], n)
            spent[index] += time.perf_counter() - began
    return spent


def getter(path, token):
    headers = {"Authorization": f"Bearer {token}"}

    def send(server, _n):
        status, body = request("GET", f"{server.url}{path}", headers=headers)
        assert status == 200, body

    return send


def poster(bodies, key):
    def send(server, n):
        status, answer = request("POST", f"{server.url}/api/records/", bodies[server.url][n],
                                 {"Authorization": f"Device {key}"})
        assert status == 201 and answer["duplicates"] == 0, answer

    return send


def ingest_bodies(device_id, batches, size, start):
    return [json.dumps([{"device": device_id, "bpm": 60 + (j * size + i) % 40,
                         "recorded_at": (start + timedelta(seconds=j * size + i)).isoformat()}
                        for i in range(size)]).encode() for j in range(batches)]


def read_entries():
    from audit.choices import AuditAction
    from audit.models import AuditEntry

    return AuditEntry.objects.filter(action=AuditAction.READ).count()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=60)
    parser.add_argument("--detail", type=int, default=600, help="detail requests per mode")
    parser.add_argument("--list", type=int, default=300, help="50-row list requests per mode")
    parser.add_argument("--batches", type=int, default=40, help="ingest batches per mode")
    parser.add_argument("--size", type=int, default=1000, help="readings per ingest batch")
    args = parser.parse_args()

    name = f"meditrack_bench_audit_{os.getpid()}"
    env = fresh_database(name)
    servers = []
    try:
        token, patient_id, device_id, key = load(args.patients)
        from django.utils import timezone

        modes = list(AuditServer.APPS)
        servers = [AuditServer(env, mode=mode) for mode in modes]
        start = timezone.now() - timedelta(days=2)
        for server in servers:  # warm every worker (connections, caches, allocator)
            for path, count in ((f"/api/patients/{patient_id}/", 30), ("/api/patients/?page_size=50", 10)):
                interleaved([server], getter(path, token), count)
        entries_before = read_entries()
        figures = {
            "detail": interleaved(servers, getter(f"/api/patients/{patient_id}/", token), args.detail),
            "list": interleaved(servers, getter("/api/patients/?page_size=50", token), args.list),
        }
        bodies = {server.url: ingest_bodies(device_id, args.batches, args.size,
                                            start + timedelta(seconds=k * args.batches * args.size))
                  for k, server in enumerate(servers)}
        figures["ingest"] = interleaved(servers, poster(bodies, key), args.batches)
        entries = read_entries() - entries_before
    finally:
        for server in servers:
            server.stop()
        drop_database(name)

    expected = (len(modes) - 1) * (args.detail + 50 * args.list)
    print(f"modes: {', '.join(modes)}; requests interleaved one by one across the {len(modes)} workers; a "
          f"department nurse reads; ingest posts batches of {args.size:,} readings with a device key")
    print(f"read entries written by the audited workers: {entries:,} (expected {expected:,}: 1 per detail, "
          "50 per list page, 0 for ingest)")
    for figure, label, count, unit in (("detail", "patient detail", args.detail, "req/s"),
                                       ("list", "50-row patient list", args.list, "req/s"),
                                       ("ingest", "ingest", args.batches * args.size, "readings/s")):
        rates = [count / seconds for seconds in figures[figure]]
        print(f"{label} ({count:,} per mode): off {rates[0]:,.0f} {unit}")
        for mode, value in zip(modes[1:], rates[1:], strict=True):
            print(f"    {mode:<26} {value:>9,.0f} {unit}  {value / rates[0]:6.1%} of off")


if __name__ == "__main__":
    main()
