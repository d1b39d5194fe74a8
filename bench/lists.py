"""Scoped lists at hospital scale (issue 15): each list through the product (DRF) and through the bare
view of bench/bare.py (the same JWT, scope, filters and 50-row page, `.values()` + orjson), one request
of each in turn (A, B, A, B ...) on one gunicorn sync worker, three rounds; prints per list and role
req/s, p50 and p99 of both, the DRF/bare ratio (median of the rounds) and the SQL queries per request.

    .venv/bin/python bench/lists.py [--scale 1] [--requests 20] [--rounds 3] [--only devices] [--pin]

Needs the local PostgreSQL (BENCH_PG_URL); builds its own database (meditrack_bench_lists_<pid>) with
`manage.py build_scale_data --scale S` (100,000 devices, 200,000 work orders, 50,000 patients and
100,000 appointments at 1), serves bench.bare_settings on a free loopback port, drops the database at
the end. Targets: every list at least 0.5 of its bare view; every scoped list's p50 under 50 ms.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent))

from common import Server, drop_database, fresh_database, percentile

# (route and query, the roles it is measured as): the table, admin and the scoped roles.
CASES = [
    ("patients/", ["admin", "doctor", "nurse"]),
    ("devices/", ["admin", "doctor", "nurse", "engineer"]),
    ("appointments/", ["admin", "doctor"]),
    ("workorders/", ["admin", "engineer", "nurse"]),
    ("devices/?search=ventil", ["admin", "engineer"]),
    ("devices/?ordering=-created_at", ["admin"]),
    ("devices/?ordering=name", ["admin"]),
]
USERS = {"admin": "scale-admin", "doctor": "scale-doctor-1", "nurse": "scale-nurse-1", "engineer": "scale-engineer-1"}


def get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        body = response.read()
        took = time.perf_counter() - began
        assert response.status == 200, body[:300]
        return took, int(response.headers.get("X-Queries", -1)), body


def token_for(role):
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User

    return str(RefreshToken.for_user(User.objects.get(username=USERS[role])).access_token)


def with_page_size(route):
    return f"{route}{'&' if '?' in route else '?'}page_size=50"


def measure(base, route, role, requests, rounds):
    token, query = token_for(role), with_page_size(route)
    urls = {"drf": f"{base}/api/{query}", "bare": f"{base}/bare/{query}"}
    for url in urls.values():  # warm: the first request of a route pays its imports
        get(url, token)
    samples = {side: [] for side in urls}
    rates = {side: [] for side in urls}
    queries = {}
    for _ in range(rounds):
        spent = dict.fromkeys(urls, 0.0)
        for _ in range(requests):
            for side, url in urls.items():
                took, count, _body = get(url, token)
                spent[side] += took
                samples[side].append(took)
                queries[side] = count
        for side in urls:
            rates[side].append(requests / spent[side])
    ratio = statistics.median(drf / bare for drf, bare in zip(rates["drf"], rates["bare"], strict=True))
    return {
        "route": route, "role": role, "ratio": ratio,
        **{f"{side}_rps": statistics.median(rates[side]) for side in urls},
        **{f"{side}_p50": percentile(samples[side], 0.5) * 1000 for side in urls},
        **{f"{side}_p99": percentile(samples[side], 0.99) * 1000 for side in urls},
        "drf_queries": queries["drf"], "bare_queries": queries["bare"],
    }


def report(rows):
    print(f"{'list':<32} {'role':<9} {'DRF req/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'bare req/s':>10} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'DRF/bare':>8} {'queries':>8}")
    for row in rows:
        flags = ("" if row["ratio"] >= 0.5 else " <0.5") + (
            " p50>50ms" if row["role"] != "admin" and row["drf_p50"] >= 50 else "")
        print(f"{row['route']:<32} {row['role']:<9} {row['drf_rps']:>9.1f} {row['drf_p50']:>7.1f} "
              f"{row['drf_p99']:>7.1f} {row['bare_rps']:>10.1f} {row['bare_p50']:>7.1f} {row['bare_p99']:>7.1f} "
              f"{row['ratio']:>8.2f} {row['drf_queries']:>4}/{row['bare_queries']:<3}{flags}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=20, help="per side, list and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", help="only the lists whose route starts with this")
    parser.add_argument("--pin", action="store_true", help="the worker on CPU 0, this load generator on CPU 1")
    args = parser.parse_args()
    name = f"meditrack_bench_lists_{os.getpid()}"
    env = fresh_database(name)
    server = None
    try:
        from django.core.management import call_command

        began = time.perf_counter()
        call_command("build_scale_data", scale=args.scale, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"build_scale_data --scale {args.scale}: {time.perf_counter() - began:.0f} s")
        server = Server({**env, "DJANGO_SETTINGS_MODULE": "bench.bare_settings"})
        load_before = os.getloadavg()[0]
        if args.pin:
            os.sched_setaffinity(server.worker_pid(), {0})
            os.sched_setaffinity(0, {1})
        rows = []
        for route, roles in CASES:
            if args.only and not route.startswith(args.only):
                continue
            for role in roles:
                rows.append(measure(server.url, route, role, args.requests, args.rounds))
                print(f"  measured {route} as {role}", file=sys.stderr, flush=True)
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
        print(f"one gunicorn sync worker, {args.rounds} rounds x {args.requests} requests per side, "
              f"interleaved; ratio = median over rounds of DRF req/s / bare req/s; queries DRF/bare; "
              f"commit {commit.stdout.strip()}, load average {os.getloadavg()[0]:.1f} at the end "
              f"({load_before:.1f} before)")
        report(rows)
    finally:
        if server is not None:
            server.stop()
        drop_database(name)


if __name__ == "__main__":
    main()
