"""What the equipment lists' EXPLAIN tests share (tests/{devices,workorders,spareparts}/test_scale_*.py).

PostgreSQL only. build_scale_data at 1/20 of hospital scale (5,000 devices, 10,000 work orders,
1,000 spare parts, 500 PM schedules), built once per module inside a transaction rolled back at the
end, then ANALYZEd (ANALYZE counts the rows its own transaction inserted): enough rows that the
planner prefers an index wherever one serves, built in a few seconds.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.testing import authenticated_client

SCALE = 0.05
POSTGRES_ONLY = pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's")


@pytest.fixture(scope="module")
def scale_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("build_scale_data", scale=SCALE, stdout=io.StringIO())
        trim_nurse()
        yield
        transaction.set_rollback(True)


def index_only_planner():
    """SET LOCAL enable_seqscan = off for the rest of the test's transaction: at these sizes a
    sequential scan of a few thousand rows is honestly the cheapest plan, so a test that a search or
    prefix filter *can* be served by its index disables it; the planner still scans when no index
    matches the statement's expression, so the test fails exactly when the index does not serve."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")


def trim_nurse(username="scale-nurse-1", keep=25):
    """At hospital scale a nurse's ~500 devices are 0.5% of 100,000; here they would be 10% of
    5,000, where hashing the whole table is the planner's right answer. Keep `keep` of them (0.5%)
    and re-ANALYZE, so that the plan is the one hospital scale gets (scale_data does this once)."""
    nurse = User.objects.get(username=username)
    through = nurse.nursed_devices.through
    keep_ids = list(through.objects.filter(user=nurse).order_by("device_id").values_list("pk", flat=True)[:keep])
    through.objects.filter(user=nurse).exclude(pk__in=keep_ids).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {through._meta.db_table}")


def client_as(role):
    return authenticated_client(User.objects.get(username="scale-admin" if role == "admin" else f"scale-{role}-1"))


def nodes(plan):
    """Every node of an EXPLAIN (FORMAT JSON) plan, depth first."""
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def plans_of(client, url):
    """The JSON plan of every SELECT a GET of `url` ran, with its SQL: [(sql, plan)]."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    out = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql.lstrip().upper().startswith("SELECT"):
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
                out.append((sql, cursor.fetchone()[0][0]["Plan"]))
    return response, out


def _scans(plan, bounded=False):
    """The sequential scans of a plan that may read the whole relation: all but an unfiltered scan
    straight under a Limit (a capped count's `SELECT ... LIMIT cap`: it reads at most the cap)."""
    kind = plan.get("Node Type")
    if kind == "Seq Scan" and not (bounded and "Filter" not in plan):
        yield plan
    bounded = kind == "Limit" or (bounded and kind in ("Subquery Scan", "Result"))
    for child in plan.get("Plans", ()):
        yield from _scans(child, bounded)


def seq_scanned(plans, tables):
    """The statements (SQL heads) that read one of `tables` sequentially, without bound."""
    return [f"{node['Relation Name']}: {sql[:160]}" for sql, plan in plans for node in _scans(plan)
            if node.get("Relation Name") in tables]


def indexes_used(plans):
    return {node["Index Name"] for _, plan in plans for node in nodes(plan) if "Index Name" in node}
