"""Reliability benchmark: the one-year reliability report over 5,000 devices, 50,000 downtime periods
and 100,000 work orders spread over two years, then the PM generator over 5,000 due schedules.

    .venv/bin/python bench/reliability.py [--devices 5000] [--periods 50000] [--work-orders 100000] [--runs 3]

Needs PostgreSQL: creates (and drops at the end) its own database `meditrack_bench_reliability` on
BENCH_PG_URL, or uses the (empty) database DATABASE_URL names: migrated, its rows left in place.
Prints, per roll-up level (device, model, hospital), the median seconds of --runs and the query
count (target: one query each, under 2 s in all), the whole request through the API (JSON and
CSV), then the generator's work orders per second and its statement count.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time

from common import ROOT, SECRET, drop_database, fresh_database

DATABASE = "meditrack_bench_reliability"
HOSPITALS = 10
MODELS = 25
TARGET_SECONDS = 2.0


def setup_django():
    """Our own fresh database, or the one DATABASE_URL names (returns whether we own it)."""
    if os.environ.get("DATABASE_URL"):
        os.environ.update({"DEBUG": "off", "SECRET_KEY": SECRET, "ALLOWED_HOSTS": "localhost",
                           "LOG_LEVEL": "WARNING"})
        os.environ.pop("REDIS_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return False
    fresh_database(DATABASE)
    return True



def load(devices, periods, work_orders, now):
    """bulk_create in batches: hospitals, engineers, devices (most older than the two years, a tenth
    created during them), downtime periods (non-overlapping per device, some still open) and work
    orders (70 % corrective, 90 % of them closed after 1 to 72 hours)."""
    from django.db import connection

    from accounts.choices import Role
    from accounts.models import User
    from devices.choices import DeviceStatus
    from devices.models import Device, DowntimePeriod, Hospital
    from workorders.choices import Priority, WorkOrderStatus, WorkType
    from workorders.models import WorkOrder

    rng = random.Random(11)
    began = time.perf_counter()
    two_years = datetime.timedelta(days=730)
    window_start = now - two_years
    hospitals = Hospital.objects.bulk_create([Hospital(name=f"Bench hospital {n}") for n in range(HOSPITALS)])
    engineer = User.objects.create(username="bench-engineer", email="engineer@bench.local", role=Role.ENGINEER)
    rows = []
    for n in range(devices):
        rows.append(Device(asset_number=f"BENCH-{n:05d}", name=f"Device {n}", model=f"Model {n % MODELS:02d}",
                           manufacturer="Bench", hospital=hospitals[n % HOSPITALS], assigned_engineer=engineer))
    made = Device.objects.bulk_create(rows, batch_size=2000)
    created = {}
    for device in made:  # auto_now_add: the creation dates are set afterwards
        during = rng.random() < 0.1
        created[device.pk] = window_start + two_years * rng.random() if during else window_start - datetime.timedelta(
            days=rng.randint(1, 400))
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE devices_device SET created_at = %s WHERE id = %s",
                           [(value, pk) for pk, value in created.items()])

    per_device = periods // devices
    downtime, open_devices = [], set()
    for device in made:
        start = max(created[device.pk], window_start)
        slot = (now - start) / per_device
        for k in range(per_device):
            began_at = start + slot * k + slot * rng.random() * 0.5
            last_and_open = k == per_device - 1 and rng.random() < 0.05
            ended_at = None if last_and_open else began_at + min(slot * 0.4, datetime.timedelta(
                hours=rng.uniform(0.5, 120)))
            if ended_at is None:
                open_devices.add(device.pk)
            downtime.append(DowntimePeriod(device=device, started_at=began_at, ended_at=ended_at,
                                           status=DeviceStatus.MAINTENANCE if ended_at is None else "",
                                           reason="bench"))
    DowntimePeriod.objects.bulk_create(downtime, batch_size=5000)
    Device.objects.filter(pk__in=open_devices).update(status=DeviceStatus.MAINTENANCE)

    per_device = work_orders // devices
    orders = []
    for device in made:
        start = max(created[device.pk], window_start)
        slot = (now - start) / per_device
        for k in range(per_device):
            created_at = start + slot * k + slot * rng.random() * 0.9
            corrective = rng.random() < 0.7
            closed = rng.random() < 0.9 and created_at < now - datetime.timedelta(days=3)
            completed_at = created_at + datetime.timedelta(hours=rng.uniform(1, 72)) if closed else None
            orders.append(WorkOrder(
                work_number=f"BENCH-{device.pk}-{k}", device=device, description="Bench work order",
                work_type=WorkType.CORRECTIVE if corrective else WorkType.PREVENTIVE, priority=Priority.MEDIUM,
                status=WorkOrderStatus.CLOSED if closed else WorkOrderStatus.OPEN, assigned_to=engineer,
                due_date=(created_at + datetime.timedelta(days=7)).date(), created_at=created_at,
                updated_at=completed_at or created_at, completed_at=completed_at,
                completed_date=completed_at.date() if completed_at else None))
    WorkOrder.objects.bulk_create(orders, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return len(made), len(downtime), len(orders), time.perf_counter() - began


def time_levels(start, end, runs):
    """Median seconds and query count of each level, evaluated on its own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.selectors import reliability_report

    figures = {}
    for level in ("devices", "models", "hospitals"):
        samples, counts, size = [], [], 0
        for _ in range(runs):
            report = reliability_report(start=start, end=end)
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                size = len(list(report[level]))
                samples.append(time.perf_counter() - began)
            counts.append(len(queries))
        figures[level] = (statistics.median(samples), max(counts), size)
    return figures


def time_api(first_day, last_day, runs):
    """The whole request in-process (authentication, validation, the three queries, rendering)."""
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.choices import Role
    from accounts.models import User

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"email": "admin@bench.local",
                                                                          "role": Role.ADMIN})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(admin).access_token}")
    query = {"from": first_day.isoformat(), "to": last_day.isoformat()}
    results = {}
    for label, extra in (("json", {}), ("csv", {"format": "csv"})):
        samples, size = [], 0
        for _ in range(runs):
            began = time.perf_counter()
            response = client.get("/api/reports/reliability/", {**query, **extra}, HTTP_HOST="localhost")
            body = b"".join(response.streaming_content) if response.streaming else response.content
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200, body[:500]
            size = len(body)
        results[label] = (statistics.median(samples), size)
    return results


def bench_generator(today):
    """5,000 due schedules (one per device, due today) through maintenance.services.generate_pm_workorders."""
    try:
        from maintenance.services import generate_pm_workorders
    except ImportError:
        print("generator: not available (maintenance.services.generate_pm_workorders is not defined)")
        return
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from devices.choices import DeviceStatus
    from devices.models import Device
    from maintenance.choices import BasedOn, Frequency
    from maintenance.models import PMSchedule
    from workorders.models import WorkOrder

    devices = Device.objects.exclude(status=DeviceStatus.DECOMMISSIONED).order_by("pk")
    PMSchedule.objects.bulk_create([
        PMSchedule(device=device, title="Bench PM", checklist=["Inspect", "Test alarms", "Clean"],
                   frequency=Frequency.MONTHLY, interval=1, based_on=BasedOn.SCHEDULED_DATE, next_due_date=today,
                   lead_days=0) for device in devices], batch_size=5000)
    schedules = PMSchedule.objects.count()
    before = WorkOrder.objects.count()
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        report = generate_pm_workorders(today=today)
        seconds = time.perf_counter() - began
    created = WorkOrder.objects.count() - before
    print(f"generator: {schedules} due schedules -> {created} work orders in {seconds:.2f} s "
          f"({created / seconds:,.0f} rows/s), {len(queries)} statements; report {report}")
    in_database = sum(float(query["time"]) for query in queries.captured_queries)
    slowest = max(queries.captured_queries, key=lambda query: float(query["time"]))
    print(f"  {in_database:.2f} s in the database; slowest statement {float(slowest['time']):.2f} s: "
          f"{slowest['sql'][:100]}...")
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        again = generate_pm_workorders(today=today)
        seconds = time.perf_counter() - began
    print(f"generator, second run: {WorkOrder.objects.count() - before - created} more work orders in "
          f"{seconds:.2f} s, {len(queries)} statements; report {again}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--periods", type=int, default=50_000)
    parser.add_argument("--work-orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    owned = setup_django()
    try:
        from django.utils import timezone

        now = timezone.now()
        devices, periods, orders, seconds = load(args.devices, args.periods, args.work_orders, now)
        print(f"loaded {devices} devices, {periods} downtime periods, {orders} work orders in {seconds:.1f} s")

        last_day = timezone.localdate()
        first_day = last_day - datetime.timedelta(days=364)
        start = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min))
        end = timezone.make_aware(datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min))
        print(f"report {first_day}..{last_day} (one year), median of {args.runs}:")
        total = 0.0
        for level, (median, count, size) in time_levels(start, end, args.runs).items():
            total += median
            print(f"  {level:<9} {size:>5} rows  {median:.3f} s  {count} quer{'y' if count == 1 else 'ies'}")
        verdict = "ok" if total < TARGET_SECONDS else "OVER TARGET"
        print(f"  all levels {total:.3f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")
        for label, (median, size) in time_api(first_day, last_day, args.runs).items():
            print(f"  GET /api/reports/reliability/ ({label}): {median:.3f} s, {size / 1024:.0f} KiB")
        bench_generator(last_day)
    finally:
        if owned:
            drop_database(DATABASE)


if __name__ == "__main__":
    main()
