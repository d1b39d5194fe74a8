"""core.pagination: capped counts, keyset pages equal to OFFSET pages, and refused deep or forged pages.

Keyset walks run with PAGINATION_MAX_OFFSET=0, so every page after the first is reached by its
token: the ids they collect (following `next`, then back along `previous`) must equal the ids the
same list gives by `?page=N` (OFFSET) and in one page of 100."""

import datetime
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.choices import Role
from clinical.models import Appointment, Patient
from core.testing import assert_error
from devices.models import Device
from tests.factories import PatientFactory
from tests.factories.clinical import AppointmentFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from workorders.choices import Priority
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
KEYSET = override_settings(PAGINATION_MAX_OFFSET=0)


def ids_of(body):
    return [row["id"] for row in body["results"]]


def walk_next(client, url):
    """Follow `next` from url; the ids in order and the last page's body."""
    ids, body = [], None
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += ids_of(body)
        url = body["next"]
    return ids, body


def walk_previous(client, body):
    ids = []
    while body["previous"]:
        body = client.get(body["previous"]).json()
        ids = ids_of(body) + ids
    return ids


def offset_ids(client, base, size):
    ids, page = [], 1
    while True:
        response = client.get(f"{base}&page_size={size}&page={page}")
        if response.status_code == 404:
            return ids
        ids += ids_of(response.json())
        page += 1


def assert_keyset_equals_offset(client, base, size=3):
    everything = ids_of(client.get(f"{base}&page_size=100").json())
    assert len(everything) > 2 * size  # at least three pages
    assert offset_ids(client, base, size) == everything
    with KEYSET:
        ids, last = walk_next(client, f"{base}&page_size={size}")
        assert ids == everything
        back = walk_previous(client, last)
    assert back + ids_of(last) == everything


@pytest.fixture
def devices():
    today = timezone.localdate()
    rows = [DeviceFactory(name=["Pump", "Monitor", "Pump"][n % 3],
                          last_inventory_date=None if n % 4 == 0 else today - datetime.timedelta(days=n % 3),
                          warranty_expires=None if n % 3 == 0 else today + datetime.timedelta(days=n % 2))
            for n in range(11)]
    Device.objects.filter(pk__in=[d.pk for d in rows[:6]]).update(created_at=timezone.now())  # ties
    return rows


@pytest.mark.parametrize("ordering", ["", "name", "-name", "last_inventory_date", "-last_inventory_date",
                                      "warranty_expires,-name", "-warranty_expires,name", "-created_at", "created_at"])
def test_device_keyset_pages_equal_offset_pages(client_for, devices, ordering):
    admin = client_for(Role.ADMIN)
    for size in (2, 3):  # page boundaries on NULLs, on ties and between them
        assert_keyset_equals_offset(admin, f"/api/devices/?ordering={ordering}", size)


@pytest.mark.parametrize("ordering", ["", "priority", "-priority", "priority,-due_date", "-due_date", "status"])
def test_work_order_keyset_pages_equal_offset_pages(client_for, ordering):
    device = DeviceFactory()
    for n in range(10):
        WorkOrderFactory(device=device, priority=list(Priority)[n % 4],
                         due_date=timezone.localdate() + datetime.timedelta(days=n % 2))
    WorkOrder.objects.update(created_at=timezone.now())  # every created_at ties: the pk decides
    assert_keyset_equals_offset(client_for(Role.ADMIN), f"/api/workorders/?ordering={ordering}")


@pytest.mark.parametrize("ordering", ["", "slot__date", "-slot__date", "-slot__start_time", "status,-slot__date"])
def test_appointment_keyset_pages_equal_offset_pages(client_for, ordering):
    appointments = [AppointmentFactory() for _ in range(8)]
    for appointment in appointments[:4]:  # same date, two start times: ties on a related path
        slot = appointment.slot
        slot.date, slot.start_time = appointments[0].slot.date, datetime.time(9 + appointment.pk % 2)
        slot.end_time = datetime.time(10 + appointment.pk % 2)
        slot.save()
    assert Appointment.objects.count() == 8
    assert_keyset_equals_offset(client_for(Role.ADMIN), f"/api/appointments/?ordering={ordering}")


@pytest.mark.parametrize("ordering", ["", "last_name", "-last_name", "date_of_birth", "-date_of_birth,first_name"])
def test_patient_keyset_pages_equal_offset_pages(client_for, ordering):
    for n in range(9):
        PatientFactory(last_name=["Haddad", "Nasser"][n % 2], first_name=["Lina", "Omar", "Sara"][n % 3],
                       date_of_birth=None if n % 3 == 0 else datetime.date(1980 + n % 2, 1, 1))
    assert Patient.objects.count() == 9
    assert_keyset_equals_offset(client_for(Role.ADMIN), f"/api/patients/?ordering={ordering}")


def test_count_is_exact_up_to_the_cap_and_said_in_a_header(client_for, devices, settings):
    admin = client_for(Role.ADMIN)
    settings.PAGINATION_COUNT_CAP = 11
    response = admin.get("/api/devices/?page_size=2")
    assert response.json()["count"] == 11
    assert response["X-Count-Exact"] == "true"


def test_count_above_the_cap_is_exact_on_sqlite_else_an_estimate_above_the_cap(client_for, devices, settings):
    from django.db import connection

    settings.PAGINATION_COUNT_CAP = 5
    response = client_for(Role.ADMIN).get("/api/devices/?page_size=2")
    if connection.vendor == "postgresql":
        assert response["X-Count-Exact"] == "false"
        assert response.json()["count"] >= 6  # the planner's estimate, never below cap + 1
    else:
        assert response["X-Count-Exact"] == "true"
        assert response.json()["count"] == 11


def test_a_filtered_list_below_the_cap_counts_exactly(client_for, devices, settings):
    settings.PAGINATION_COUNT_CAP = 5
    response = client_for(Role.ADMIN).get("/api/devices/?search=Monitor")
    assert response.json()["count"] == 4 and response["X-Count-Exact"] == "true"


def test_a_page_past_the_offset_limit_without_a_token_is_page_too_deep(client_for, devices, settings):
    settings.PAGINATION_MAX_OFFSET = 4
    admin = client_for(Role.ADMIN)
    assert admin.get("/api/devices/?page_size=2&page=3").status_code == 200  # offset 4: allowed
    body = assert_error(admin.get("/api/devices/?page_size=2&page=4"), 400, "page_too_deep")
    assert list(body["errors"]) == ["page"] and "next link" in body["message"]
    assert_error(admin.get(f"/api/devices/?page={10**30}"), 404, "not_found")  # past the end; no overflow


def test_next_links_carry_a_token_and_previous_stays_a_page_number(client_for, devices):
    body = client_for(Role.ADMIN).get("/api/devices/?page_size=2&page=2").json()
    next_query = parse_qs(urlparse(body["next"]).query)
    assert next_query["page"] == ["3"] and next_query["after"]
    assert body["previous"] == "http://testserver/api/devices/?page_size=2"


def next_link(client, url):
    with KEYSET:
        return client.get(url).json()["next"]


@pytest.mark.parametrize("change", [
    lambda url: url[:-3] + ("aaa" if not url.endswith("aaa") else "bbb"),  # the signature breaks
    lambda url: url.replace("page=2", "page=3"),  # another page
    lambda url: url.replace("ordering=name", "ordering=-name"),  # another ordering
    lambda url: url + "&search=Pump",  # another filter
    lambda url: url.replace("page_size=2", "page_size=3"),  # another page size
    lambda url: url.replace("after=", "after=x"),
    lambda url: url.replace("/api/devices/", "/api/workorders/").replace("ordering=name", "ordering=status"),
])
def test_a_forged_or_stale_token_is_a_400_naming_after(client_for, devices, change):
    admin = client_for(Role.ADMIN)
    url = next_link(admin, "/api/devices/?ordering=name&page_size=2")
    with KEYSET:
        assert admin.get(url).status_code == 200
        body = assert_error(admin.get(change(url)), 400, "validation_error")
    assert list(body["errors"]) == ["after"]


def test_a_forged_before_token_is_a_400_naming_before(client_for, devices):
    assert_error(client_for(Role.ADMIN).get("/api/devices/?page=2&before=nonsense"), 400, "validation_error")


def test_a_keyset_page_still_answers_the_capped_count(client_for, devices, settings):
    admin = client_for(Role.ADMIN)
    url = next_link(admin, "/api/devices/?page_size=4")
    with KEYSET:
        response = admin.get(url)
    assert response.json()["count"] == 11 and response["X-Count-Exact"] == "true"
    assert len(response.json()["results"]) == 4


def test_a_keyset_page_costs_the_queries_of_an_offset_page(client_for, devices, django_assert_num_queries):
    admin = client_for(Role.ADMIN)
    url = next_link(admin, "/api/devices/?page_size=4")
    admin.get("/api/devices/?page_size=4&page=2")  # warm the authentication caches alike
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as offset:
        admin.get("/api/devices/?page_size=4&page=2")
    with KEYSET, CaptureQueriesContext(connection) as keyset:
        admin.get(url)
    assert len(keyset.captured_queries) == len(offset.captured_queries)
    page_sql = [q["sql"] for q in keyset.captured_queries if "LIMIT 5" in q["sql"]]
    assert page_sql and all("OFFSET" not in sql.upper() for sql in page_sql)


def test_a_page_beyond_the_end_is_404_and_a_bad_page_a_400_naming_page(client_for, devices, settings):
    admin = client_for(Role.ADMIN)
    assert_error(admin.get("/api/devices/?page=99"), 404, "not_found")
    settings.PAGINATION_MAX_OFFSET = 20  # past the end is still the 404, not page_too_deep
    assert_error(admin.get("/api/devices/?page=999999"), 404, "not_found")
    for bad in ("abc", "0", "-1", "1.5"):
        body = assert_error(admin.get(f"/api/devices/?page={bad}"), 400, "validation_error")
        assert list(body["errors"]) == ["page"]
    assert admin.get("/api/devices/?page=last&page_size=5").json()["results"]  # DRF's "last" stays


def test_a_token_is_opaque_and_bound_to_its_caller_and_direction(client_for, devices):
    import base64

    admin = client_for(Role.ADMIN)
    url = next_link(admin, "/api/devices/?page_size=2&ordering=name")
    token = parse_qs(urlparse(url).query)["after"][0]
    padded = token + "=" * (-len(token) % 4)
    assert b"Pump" not in base64.urlsafe_b64decode(padded) and "Pump" not in token  # the last row's name
    assert admin.get(url).status_code == 200
    other_admin = client_for(Role.ADMIN)
    assert list(assert_error(other_admin.get(url), 400, "validation_error")["errors"]) == ["after"]
    as_before = url.replace("after=", "before=")
    assert list(assert_error(admin.get(as_before), 400, "validation_error")["errors"]) == ["before"]
    both = f"{url}&before={token}"
    assert list(assert_error(admin.get(both), 400, "validation_error")["errors"]) == ["before"]


def test_the_schema_describes_the_count_and_the_tokens(admin_client):
    schema = admin_client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/devices/"]["get"]
    assert {"page", "page_size"} <= {parameter["name"] for parameter in operation["parameters"]}
    page = schema["components"]["schemas"]["PaginatedDeviceList"]["properties"]
    assert "X-Count-Exact" in page["count"]["description"] and "after" in page["next"]["description"]


def test_page_too_deep_answers_in_arabic(client_for, devices, settings):
    settings.PAGINATION_MAX_OFFSET = 0
    body = assert_error(client_for(Role.ADMIN).get("/api/devices/?page=2&page_size=2", HTTP_ACCEPT_LANGUAGE="ar"),
                        400, "page_too_deep")
    assert "الصفحة" in body["message"] and list(body["errors"]) == ["page"]


def test_a_searched_list_counts_exactly_only_up_to_the_search_cap(client_for, devices, settings):
    from django.db import connection

    settings.PAGINATION_COUNT_CAP, settings.PAGINATION_SEARCH_COUNT_CAP = 100, 2
    admin = client_for(Role.ADMIN)
    searched = admin.get("/api/devices/?search=Pump&page_size=2")  # 7 pumps
    if connection.vendor == "postgresql":
        assert searched["X-Count-Exact"] == "false" and searched.json()["count"] >= 3
    else:
        assert searched["X-Count-Exact"] == "true" and searched.json()["count"] == 7
    unsearched = admin.get("/api/devices/?page_size=2")
    assert unsearched["X-Count-Exact"] == "true" and unsearched.json()["count"] == 11


def test_the_count_selects_ids_only_not_the_rows_annotations(client_for, devices):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = client_for(Role.ADMIN)
    with CaptureQueriesContext(connection) as queries:
        assert admin.get("/api/devices/?page_size=2").status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT COUNT")]
    pages = [q["sql"] for q in queries.captured_queries if "LIMIT 3" in q["sql"] and "COUNT" not in q["sql"]]
    assert len(counts) == 1 and pages
    assert "CASE" in pages[0].upper()  # the page computes the calibration state...
    assert "CASE" not in counts[0].upper()  # ...the count does not


def test_a_browser_app_on_an_allowed_origin_may_read_the_count_header(client_for, devices, settings):
    origin = settings.CORS_ALLOWED_ORIGINS[0]
    response = client_for(Role.ADMIN).get("/api/devices/", HTTP_ORIGIN=origin)
    assert response["Access-Control-Allow-Origin"] == origin
    assert "x-count-exact" in response["Access-Control-Expose-Headers"].lower()


def test_the_last_page_past_the_offset_limit_is_read_backwards(client_for, devices, settings):
    admin = client_for(Role.ADMIN)
    every = ids_of(admin.get("/api/devices/?page_size=100&ordering=name").json())
    settings.PAGINATION_MAX_OFFSET = 2
    last = admin.get("/api/devices/?page=last&page_size=2&ordering=name")
    assert last.status_code == 200 and ids_of(last.json()) == every[-2:]
    assert last.json()["next"] is None and last.json()["previous"]
