"""EXPLAIN of every scoped list (issue 15): no sequential scan of a large table, for every role.

PostgreSQL only. The data is build_scale_data at a fifth of hospital scale (20,000 devices, 40,000
work orders, 10,000 patients, 20,000 appointments), built once for the module inside a transaction
that is rolled back at the end, then ANALYZEd: big enough that the planner picks an index whenever
one serves. Each list's first page is requested through the API as each role that may list it; every
SELECT it ran is EXPLAINed (the plan the database would choose for exactly that statement) and any
`Seq Scan` on one of the scaled tables fails the test, naming the statement (except a scan straight
under a LIMIT that keeps most rows: it stops after about the limit). A list that scans is a
list whose cost grows with the table rather than with the page and the caller's own rows.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.testing import authenticated_client

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are PostgreSQL's"),
    pytest.mark.django_db,
]

SCALE = 0.2
# The tables build_scale_data fills in proportion to its sizes (the small ones, departments,
# hospitals, rooms and users, may be scanned: a few hundred rows).
LARGE = {
    "clinical_patient", "clinical_patientdoctormapping", "clinical_timeslot", "clinical_appointment",
    "clinical_consultation", "devices_device", "devices_device_assigned_nurses", "workorders_workorder",
    "spareparts_sparepartrequest", "maintenance_pmschedule", "monitoring_alert",
}
LISTS = [
    ("patients", ["admin", "doctor", "nurse", "patient"]),
    ("appointments", ["admin", "doctor", "nurse", "patient"]),
    ("consultations", ["admin", "doctor", "patient"]),
    ("devices", ["admin", "doctor", "nurse", "engineer"]),
    ("workorders", ["admin", "engineer", "nurse"]),
    ("spareparts", ["admin", "engineer"]),
    ("pm-schedules", ["admin", "engineer"]),
    ("alerts", ["admin", "doctor", "nurse"]),
]
CASES = [(route, role) for route, roles in LISTS for role in roles]


@pytest.fixture(scope="module")
def scale_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("build_scale_data", scale=SCALE, stdout=io.StringIO())
        with connection.cursor() as cursor:
            # The deferred foreign-key checks of the build, once here: else every test's teardown
            # (Django checks constraints before rolling its savepoint back) would run them all again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        transaction.set_rollback(True)


def seq_scans(plan, sizes, limited=False):
    """The large relations a plan (EXPLAIN FORMAT JSON's top node) reads sequentially. A scan straight
    under a LIMIT (a capped count's `LIMIT 10001`) that keeps at least half the rows stops after about
    twice the limit: bounded, so allowed; a selective one, or one under a sort or an aggregate, reads
    the whole table. `sizes`: the rows of each table (pg_class.reltuples)."""
    node, table = plan.get("Node Type"), plan.get("Relation Name")
    if node == "Seq Scan" and table in LARGE and not (limited and plan["Plan Rows"] * 2 >= sizes[table]):
        return [table]
    streams = node == "Limit" or (limited and node in ("Subquery Scan", "Result"))
    return [found for child in plan.get("Plans", ()) for found in seq_scans(child, sizes, streams)]


def table_sizes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [sorted(LARGE)])
        return dict(cursor.fetchall())


@pytest.mark.parametrize(("route", "role"), CASES, ids=[f"{route}-{role}" for route, role in CASES])
def test_scoped_list_reads_no_large_table_sequentially(scale_data, route, role):
    username = "scale-admin" if role == "admin" else f"scale-{role}-1"
    client = authenticated_client(User.objects.get(username=username))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/{route}/?page_size=50")
    assert response.status_code == 200, response.content
    assert response.json()["results"], f"{route} as {role} lists nothing: the data does not exercise its scope"
    scans, sizes = [], table_sizes()
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            if not query["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (FORMAT JSON) {query['sql']}")
            tables = seq_scans(cursor.fetchone()[0][0]["Plan"], sizes)
            if tables:
                scans.append(f"Seq Scan on {', '.join(tables)}: {query['sql'][:400]}")
    assert not scans, "\n".join(scans)
