"""Counts and deep pages at hospital scale (issue 15): the work-order list with 200,000 rows on
PostgreSQL, as admin, in one process (the view through APIClient, serialisation included),
interleaved, each figure the median of --repeat requests:

- page 1: DRF's paginator (an exact COUNT(*) over every row) vs core.pagination (COUNT over at most
  PAGINATION_COUNT_CAP + 1 rows, then the planner's estimate);
- a deep page (page 5,001, rows 100,001-100,020): DRF's OFFSET vs the keyset page its `after` link
  reaches;
- the two count statements alone (EXPLAIN ANALYZE-free: wall time of the SQL).

    .venv/bin/python bench/pagination.py [--workorders 200000] [--repeat 15] [--keep]

Its own database (meditrack_bench_pagination_<pid>), dropped at the end unless --keep.
"""

import argparse
import os
import statistics
import time

from common import drop_database, fresh_database


def median_ms(work, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workorders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    name = f"meditrack_bench_pagination_{os.getpid()}"
    fresh_database(name)
    try:
        run(args)
    finally:
        if args.keep:
            from django.db import connections

            connections.close_all()
        else:
            drop_database(name)


def run(args):
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from rest_framework import pagination
    from rest_framework.test import APIClient

    from accounts.models import User
    from core.pagination import PageNumberPagination
    from workorders.models import WorkOrder
    from workorders.views import WorkOrderViewSet

    started = time.perf_counter()
    call_command("build_scale_data", devices=20_000, workorders=args.workorders, patients=2_000, appointments=2_000)
    print(f"built {WorkOrder.objects.count():,} work orders in {time.perf_counter() - started:.0f} s")

    class DRFPagination(pagination.PageNumberPagination):  # the paginator before this change
        page_size, page_size_query_param, max_page_size = 20, "page_size", 100

    client = APIClient()
    client.force_authenticate(User.objects.get(username="scale-admin"))

    def get(url, paginator):
        WorkOrderViewSet.pagination_class = paginator
        response = client.get(url, HTTP_HOST="localhost")
        assert response.status_code == 200, response.content[:300]
        return response

    deep = 5_001
    with override_settings(PAGINATION_MAX_OFFSET=10**9):
        token_url = get(f"/api/workorders/?page={deep - 1}", PageNumberPagination).json()["next"]
    keyset_ids = [row["id"] for row in get(token_url, PageNumberPagination).json()["results"]]
    offset_ids = [row["id"] for row in get(f"/api/workorders/?page={deep}", DRFPagination).json()["results"]]
    assert keyset_ids == offset_ids, "the keyset page differs from the OFFSET page"
    ours = get("/api/workorders/", PageNumberPagination)
    print(f"count: DRF {get('/api/workorders/', DRFPagination).json()['count']:,} (exact), ours "
          f"{ours.json()['count']:,} (X-Count-Exact: {ours['X-Count-Exact']})")

    from django.test.utils import CaptureQueriesContext

    get("/api/workorders/", PageNumberPagination)
    with CaptureQueriesContext(connection) as queries:
        get("/api/workorders/", PageNumberPagination)
    for query in queries.captured_queries:  # where page 1's time goes
        print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:150]}")
    cases = {
        "page 1": (lambda: get("/api/workorders/", DRFPagination),
                   lambda: get("/api/workorders/", PageNumberPagination)),
        f"page {deep:,}": (lambda: get(f"/api/workorders/?page={deep}", DRFPagination),
                           lambda: get(token_url, PageNumberPagination)),
    }
    table = WorkOrder._meta.db_table

    def sql(statement):
        with connection.cursor() as cursor:
            cursor.execute(statement)
            cursor.fetchall()

    cases["COUNT statement"] = (lambda: sql(f"SELECT COUNT(*) FROM {table}"),
                                lambda: sql(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT 10001) capped"))
    for label, (before, after) in cases.items():
        old, new = [], []
        for _ in range(3):  # interleaved
            old.append(median_ms(before, args.repeat))
            new.append(median_ms(after, args.repeat))
        old_ms, new_ms = statistics.median(old), statistics.median(new)
        print(f"{label}: DRF {old_ms:.1f} ms, core.pagination {new_ms:.1f} ms, ratio {new_ms / old_ms:.2f} "
              f"({old_ms / new_ms:.1f}x faster)")


if __name__ == "__main__":
    main()
