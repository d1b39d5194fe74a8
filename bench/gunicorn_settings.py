"""gunicorn worker settings on this machine: sync vs gthread, workers x threads, under one simple load.

    .venv/bin/python bench/gunicorn_settings.py [--seconds 10] [--rounds 2] [--clients 8] [--devices 2000]
                                                [--warmup 2] [--only 'gthread 2x4' ...]

Builds its own PostgreSQL database (`meditrack_bench_gunicorn_<pid>`, dropped at the end): `--devices`
devices and an admin. Each configuration is served with the project's gunicorn.conf.py (`-c`) and
its worker flags on a free loopback port; `--clients` client threads, each on one keep-alive
connection, request the admin's devices list (a 50-row page: JWT auth, count, serializer, orjson)
back to back for `--seconds`. Configurations are interleaved (A B C D, D C B A, ...) so a noisy
neighbour on the shared machine does not favour one. Prints per configuration req/s, p50/p95/p99,
errors, the ratio to the best req/s, and each worker's RSS before and after (growth per 1,000
requests: what max_requests bounds)."""

import argparse
import http.client
import os
import threading
import time

from common import Server, drop_database, fresh_database, percentile

CONFIGS = {
    # --threads 1: gunicorn turns a sync worker with threads (gunicorn.conf.py's 4) into gthread.
    "sync 2": ["--worker-class", "sync", "--threads", "1", "--workers", "2"],
    "sync 4": ["--worker-class", "sync", "--threads", "1", "--workers", "4"],
    "gthread 2x4": ["--worker-class", "gthread", "--workers", "2", "--threads", "4"],
    "gthread 4x2": ["--worker-class", "gthread", "--workers", "4", "--threads", "2"],
    "gthread 3x4": ["--worker-class", "gthread", "--workers", "3", "--threads", "4"],
}
PATH = "/api/devices/?page_size=50"


def load(devices):
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.choices import Role
    from devices.models import Device, Hospital
    from tests.factories import user_for_role

    admin = user_for_role(Role.ADMIN)
    hospital = Hospital.objects.create(name="Bench General")
    Device.objects.bulk_create([Device(asset_number=f"GB-{n:06d}", serial_number=f"S{n}", name=f"Pump {n}",
                                       model="IP-200", hospital=hospital) for n in range(devices)], batch_size=2000)
    return str(RefreshToken.for_user(admin).access_token)


def hammer(port, token, seconds, clients):
    latencies, errors, stop = [], [0], time.perf_counter() + seconds
    lock = threading.Lock()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed = [], 0
        while time.perf_counter() < stop:
            began = time.perf_counter()
            try:
                connection.request("GET", PATH, headers={"Authorization": f"Bearer {token}"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before the measured run "
                        "(and the RSS baseline): longer for the memory-growth figure")
    parser.add_argument("--only", nargs="*", default=None, help="configuration names to run")
    args = parser.parse_args()
    name = f"meditrack_bench_gunicorn_{os.getpid()}"
    env = fresh_database(name)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    configs = {key: flags for key, flags in CONFIGS.items() if not args.only or key in args.only}
    results = {key: {"latencies": [], "errors": 0, "seconds": 0.0, "rss": []} for key in configs}
    try:
        token = load(args.devices)
        from django.db import connections

        connections.close_all()
        order = list(configs)
        for number in range(args.rounds):
            for key in order if number % 2 == 0 else reversed(order):
                pool = Server(env, flags=["-c", "gunicorn.conf.py", *configs[key]], start_seconds=60)
                try:
                    hammer(pool.port, token, args.warmup, args.clients)  # imports, connections, caches
                    before = pool.workers_rss_mb()
                    latencies, errors, seconds = hammer(pool.port, token, args.seconds, args.clients)
                    after = pool.workers_rss_mb()
                finally:
                    pool.stop()
                result = results[key]
                result["latencies"] += latencies
                result["errors"] += errors
                result["seconds"] += seconds
                result["rss"].append((sum(before) / len(before), sum(after) / len(after),
                                      len(latencies) / max(len(before), 1)))
    finally:
        drop_database(name)
    rates = {key: len(r["latencies"]) / r["seconds"] for key, r in results.items()}
    best = max(rates.values())
    print(f"\n{PATH} as admin, {args.clients} keep-alive clients, {args.rounds} x {args.seconds:.0f} s each, "
          f"{os.cpu_count()} CPUs (shared)")
    print(f"{'configuration':<14} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} "
          f"{'÷ best':>6} {'RSS MB/worker':>14} {'MB per 1k req':>13}")
    for key, r in results.items():
        ms = [value * 1000 for value in r["latencies"]]
        rss_before = sum(b for b, _a, _n in r["rss"]) / len(r["rss"])
        rss_after = sum(a for _b, a, _n in r["rss"]) / len(r["rss"])
        per_k = sum((a - b) / max(n, 1) * 1000 for b, a, n in r["rss"]) / len(r["rss"])
        print(f"{key:<14} {rates[key]:7.1f} {percentile(ms, .5):7.1f} {percentile(ms, .95):7.1f} "
              f"{percentile(ms, .99):7.1f} {r['errors']:6d} {rates[key] / best:6.2f} "
              f"{rss_before:6.1f}→{rss_after:<6.1f} {per_k:13.2f}")


if __name__ == "__main__":
    main()
