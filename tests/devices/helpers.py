"""Helpers shared by the equipment tests (devices, work orders, spare parts, dashboard)."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from django.db import connection
from django.test.utils import CaptureQueriesContext


def run_concurrently(count, work):
    """Run work(i) in `count` threads released together; each closes its own DB connection.
    Returns the results in order; an unexpected exception in a thread re-raises here."""
    barrier = Barrier(count)

    def task(index):
        try:
            barrier.wait(timeout=30)
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(task, index) for index in range(count)]
        return [future.result(timeout=120) for future in futures]


def count_queries(call):
    """(number of queries, result) of call()."""
    with CaptureQueriesContext(connection) as context:
        result = call()
    return len(context.captured_queries), result


def ids(response):
    """The sorted ids of a 200 list answer."""
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])
