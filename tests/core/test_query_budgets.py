"""Query budgets: every GET list and detail route of the API and /fhir/ costs a fixed number of
queries, as admin and as each role that may use it, with 5 rows and with 50 (issue 15).

The table is BUDGETS below: route name -> {role: queries}. What a budget counts, in the order the
queries run: "auth" the caller's account (the bearer token's user), then the route's own reads
(a scope look-up, "count" and "page" of a paginated list, one per prefetch), and "audit" the one
INSERT of the read entries (audit.reads) where the route shows patient data. No route's count
grows with the rows today (5 and 50 rows cost the same on SQLite and PostgreSQL): a new per-row
query fails here. The rows are built by tests.factories.budget_routes (one builder per route) in
the caller's scope; a route that changes its queries on purpose changes one number in BUDGETS (a
failure prints the queries it ran).
"""

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.choices import Role
from core.permissions import AUTHENTICATED, PUBLIC
from core.testing import authenticated_client
from tests.factories.budget_routes import ROUTES
from tests.factories.worlds import World

A, D, N, E, P = Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.ENGINEER, Role.PATIENT
ROWS = (5, 50)
CSV = ".csv"

# GET routes without rows to budget: documentation, the API's index and health check, FHIR's
# CapabilityStatement (a constant).
EXEMPT = {"api-index", "health", "schema", "swagger-ui", "swagger-ui-alias", "redoc", "fhir-metadata"}

BUDGETS = {
    # Every budget starts with "auth 1" (the caller's account). A list adds "count 1 + page 1", a
    # detail "object 1", a nested list "parent 1 + count 1 + page 1". A route showing patient data
    # ends with "audit 1" (the read entries' INSERT: AUDITED below). Anything else is named.
    # The figures are PostgreSQL's; SQLite's differ where AUDITED says.
    # accounts
    "profile": {A: 2, D: 2, N: 2, E: 2, P: 2},  # auth 1 + the account with its profiles 1
    "users-me": {A: 2, D: 2, N: 2, E: 2, P: 2},  # the same view
    "roles": {A: 2},  # auth 1 + the user counts per role 1
    "user-list": {A: 3},
    "user-detail": {A: 2},
    # facilities and devices
    "hospital-list": {A: 3, D: 3, N: 3, E: 3, P: 3},
    "hospital-detail": {A: 2, D: 2, N: 2, E: 2, P: 2},
    "room-list": {A: 3, D: 3, N: 3, E: 3, P: 3},
    "room-detail": {A: 2, D: 2, N: 2, E: 2, P: 2},
    "device-list": {A: 4, D: 4, N: 4, E: 4},  # auth 1 + count 1 + page 1 + nurses prefetch 1
    "device-assigned": {N: 4, E: 4},  # the same
    "device-detail": {A: 3, D: 3, N: 3, E: 3},  # auth 1 + object 1 + nurses prefetch 1
    "device-downtime": {A: 5, D: 5, N: 5, E: 5},  # auth 1 + parent 1 + its nurses 1 + count 1 + page 1
    "device-inventory-checks": {A: 5, D: 5, N: 5, E: 5},  # the same
    "device-api-keys": {A: 4},  # auth 1 + parent 1 + count 1 + page 1
    # work orders, maintenance, spare parts
    "workorder-list": {A: 3, N: 3, E: 3},
    "workorder-detail": {A: 2, N: 2, E: 2},
    "workorder-pdf": {A: 2, N: 2, E: 2},  # auth 1 + object 1
    "workorder-photo": {A: 2, N: 2, E: 2},  # auth 1 + object 1
    "pmschedule-list": {A: 3, E: 3},
    "pmschedule-detail": {A: 2, E: 2},
    "sparepart-list": {A: 3, E: 3},
    "sparepart-detail": {A: 2, E: 2},
    # clinical directory and records
    "department-list": {A: 3, D: 3, N: 3, E: 3, P: 3},
    "department-detail": {A: 2, D: 2, N: 2, E: 2, P: 2},
    "doctor-list": {A: 3, D: 3, N: 3, E: 3, P: 3},
    "doctor-detail": {A: 2, D: 2, N: 2, E: 2, P: 2},
    "patient-list": {A: 4, D: 4, N: 4, P: 4},
    "patient-detail": {A: 3, D: 3, N: 3, P: 3},
    "patient-consultations": {A: 5, D: 5, N: 5, P: 5},
    "patient-doctors": {A: 5, D: 5, N: 5, P: 5},
    "patient-documents": {A: 5, D: 5, N: 5, P: 5},
    "patient-document": {A: 4, D: 4, N: 4, P: 4},  # auth 1 + patient 1 + document 1 + audit 1
    "patient-download-document": {A: 4, D: 4, N: 4, P: 4},  # the same
    "patient-access-log-access-log": {A: 4, P: 4},  # auth 1 + patient 1 + count 1 + page 1 (no audit)
    "mapping-list": {A: 4, D: 4, P: 4},
    "mapping-detail": {A: 3, D: 3, P: 3},
    # scheduling and consultations
    "doctor-availability": {A: 4, D: 4, N: 4, E: 4, P: 4},  # auth 1 + the doctor 1 + count 1 + page 1
    "time-slot-list": {A: 3, D: 3, N: 3, E: 3, P: 3},
    "time-slot-detail": {A: 2, D: 2, N: 2, E: 2, P: 2},
    "appointment-list": {A: 4, D: 4, N: 4, P: 4},
    "appointment-today": {A: 4, D: 4, N: 4, P: 4},
    "appointment-upcoming": {A: 4, D: 4, N: 4, P: 4},
    "appointment-statistics": {A: 4, D: 4, N: 4, P: 4},  # auth 1 + by status 1 + by doctor 1 + by day 1
    "appointment-detail": {A: 3, D: 3, N: 3, P: 3},
    "appointment-history": {A: 5, D: 5, N: 5, P: 5},
    "consultation-list": {A: 4, D: 4, P: 4},
    "consultation-detail": {A: 3, D: 3, P: 3},
    "consultation-notes": {A: 5, D: 5, N: 5, P: 5},
    "consultation-prescriptions": {A: 5, D: 5, N: 5, P: 5},
    "consultation-vital-signs": {A: 5, D: 5, N: 5, P: 5},
    # auth 1 + consultation 1 + its patient, doctor, doctor's user, slot 4 (not joined) + vital signs,
    # prescriptions, notes 3 + audit 1
    "consultation-pdf": {A: 10, D: 10, N: 10, P: 10},
    "break-glass-list": {A: 3, D: 3, N: 3},
    "break-glass-detail": {A: 2, D: 2, N: 2},
    # monitoring
    "records-history": {A: 4, D: 4, N: 4, P: 4},  # auth 1 + patient 1 + the readings 1 + audit 1
    "alert-list": {A: 4, D: 4, N: 4},
    "alert-detail": {A: 3, D: 3, N: 3},
    # aggregates: auth 1 + one query per figure the role's dashboard shows
    "dashboard": {A: 7, D: 4, N: 3, E: 5, P: 1},
    "reliability-report": {A: 4},  # auth 1 + devices, models, hospitals 3
    # notifications, audit, webhooks
    "notification-list": {A: 3, D: 3, N: 3, E: 3, P: 3},
    "notification-detail": {A: 2, D: 2, N: 2, E: 2, P: 2},
    "audit-entry-list": {A: 3},
    "audit-entry-detail": {A: 2},
    "webhook-list": {A: 3},
    "webhook-detail": {A: 2},
    "webhook-deliveries": {A: 4},
    # ?format=csv: auth 1 + the rows 1 (and their prefetches, once per 2,000 rows); an audited list
    # first reads the rows' patients 1, then audit 1, then streams the rows 1
    "device-list.csv": {A: 3, D: 3, N: 3, E: 3},  # + nurses prefetch 1
    "workorder-list.csv": {A: 2, N: 2, E: 2},
    "sparepart-list.csv": {A: 2, E: 2},
    "patient-list.csv": {A: 4, D: 4, N: 4, P: 4},
    "appointment-list.csv": {A: 4, D: 4, N: 4, P: 4},
    # FHIR: a search is "page 1 + total 1" (keyset page first, then the count)
    "fhir-patient-search": {A: 4, D: 4, N: 4, P: 4},
    "fhir-patient": {A: 3, D: 3, N: 3, P: 3},
    # auth 1 + patient 1 + its monitor 1 (not for a patient) + appointments 1 + readings 1 + audit 1
    "fhir-patient-everything": {A: 6, D: 6, N: 6, P: 5},
    "fhir-practitioner": {A: 2, D: 2, N: 2, E: 2, P: 2},
    "fhir-device": {A: 3, D: 3, N: 3, E: 3},  # auth 1 + object 1 + audit 1 (a monitor on a patient)
    "fhir-observation-search": {A: 4, D: 4, N: 4, P: 4},  # auth 1 + the patient's scope 1 + readings 1 + audit 1
    "fhir-observation": {A: 3, D: 3, N: 3, P: 3},
    "fhir-appointment-search": {A: 4, D: 4, N: 4, P: 4},
    "fhir-slot-search": {A: 3, D: 3, N: 3, E: 3, P: 3},
}


# Routes whose answer writes read entries (audit.reads) for the patients shown. On PostgreSQL the
# entries of a doctor or a nurse are marked break-glass inside the INSERT (audit.reads._insert);
# on SQLite their live grants are a SELECT before it: one query more there (budget()).
AUDITED = {
    "alert-detail", "alert-list", "appointment-detail", "appointment-history", "appointment-list",
    "appointment-list.csv", "appointment-today", "appointment-upcoming", "consultation-detail", "consultation-list",
    "consultation-notes", "consultation-pdf", "consultation-prescriptions", "consultation-vital-signs",
    "fhir-appointment-search", "fhir-device", "fhir-observation", "fhir-observation-search", "fhir-patient",
    "fhir-patient-everything", "fhir-patient-search", "mapping-detail", "mapping-list", "patient-consultations",
    "patient-detail", "patient-doctors", "patient-document", "patient-documents", "patient-download-document",
    "patient-list", "patient-list.csv", "records-history",
}


def budget(name, role):
    sqlite_grants = connection.vendor == "sqlite" and role in (D, N) and name in AUDITED
    return BUDGETS[name][role] + sqlite_grants


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + str(pattern.pattern), pattern


def get_routes():
    """name -> the roles that may GET it, for every named GET route under /api/ and /fhir/."""
    routes = {}
    for path, pattern in _walk(get_resolver().url_patterns):
        if not path.startswith(("api/", "fhir/")):
            continue
        view = pattern.callback
        cls = getattr(view, "cls", None)
        actions = getattr(view, "actions", None)
        if actions is not None:
            action = actions.get("get")
        else:
            action = "get" if cls is not None and hasattr(cls, "get") else None
        if action is None:
            continue
        rule = getattr(cls, "role_rules", {}).get(action)
        roles = set(Role) if rule in (PUBLIC, AUTHENTICATED) else set(rule or ())
        routes[pattern.name] = roles
        if action == "list" and getattr(cls, "csv_fields", None):
            routes[pattern.name + CSV] = roles  # ?format=csv (core.csv_export): the same rows, streamed
    return routes


def queries_for(name, role, rows, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    world = World(role)
    url = ROUTES[name.removesuffix(CSV)](world, rows)
    if name.endswith(CSV):
        url = url.split("?")[0] + "?format=csv"
    client = authenticated_client(world.caller)
    ContentType.objects.get_for_models(*apps.get_models())  # a warm worker: content types are cached
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        content = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code, content[:300])
    if name.endswith(CSV):
        assert content.count(b"\n") == 1 + (1 if role == P and name.startswith("patient-") else rows), content
    elif "json" in response["Content-Type"]:
        body = response.json()
        # A list that showed no row could not have shown a query per row.
        assert body.get("results", True) and body.get("entry", body.get("resourceType") != "Bundle"), body
    return captured


def test_every_get_route_has_a_budget():
    routes = set(get_routes())
    assert routes - set(BUDGETS) - EXEMPT == set(), "a GET route without a query budget: add it to BUDGETS"
    assert set(BUDGETS) - routes == set(), "a budget for a route that no longer exists"
    assert {name.removesuffix(CSV) for name in BUDGETS} == set(ROUTES), "a builder per route (budget_routes)"


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_every_role_that_may_use_a_route_has_a_budget(name):
    assert set(BUDGETS[name]) == get_routes()[name]


CASES = [(name, role, rows) for name, roles in sorted(BUDGETS.items()) for role in roles for rows in ROWS]


@pytest.mark.parametrize(("name", "role", "rows"), CASES, ids=[f"{n}-{r.value}-{k}" for n, r, k in CASES])
def test_route_costs_its_budget_whatever_the_rows(name, role, rows, db, tmp_path, settings):
    captured = queries_for(name, role, rows, tmp_path, settings)
    audited = any(query["sql"].startswith('INSERT INTO "audit_auditentry"') for query in captured)
    assert audited == (name in AUDITED), "AUDITED names the routes that write read entries"
    assert len(captured) == budget(name, role), "\n".join(query["sql"][:200] for query in captured)
