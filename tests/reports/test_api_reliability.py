"""GET /api/reports/reliability/: who may call it, bad input, and the hand-computed fixture
(tests/reports/conftest.py) checked to the minute, per device and rolled up."""

import csv
import io

import pytest

from accounts.choices import Role
from core.testing import assert_error
from tests.reports.conftest import RANGE, URL, at, device, down, work_order

pytestmark = pytest.mark.django_db

HOUR = 60  # minutes


def figures(*, observed, downtime, failures, repairs, repair_hours):
    """The published figures from hand-computed hours and counts (rounded like the report)."""
    operating = observed - downtime
    return {
        "observed_hours": round(observed, 2),
        "downtime_hours": round(downtime, 2),
        "operating_hours": round(operating, 2),
        "uptime_percent": round(operating / observed * 100, 2) if observed else None,
        "failures": failures,
        "mtbf_hours": round(operating / failures, 2) if failures else None,
        "repairs": repairs,
        "repair_hours": round(repair_hours, 2),
        "mttr_hours": round(repair_hours / repairs, 2) if repairs else None,
    }


# REL-A: created before the range, observed all of it (10 days).
A = {"observed": 10 * 24,
     # 03-01 00:00 -> 06:36 (the period began 02-27 12:00: clipped at the start) + 03-04 10:00 -> 13:00
     "downtime": (6 * HOUR + 36) / HOUR + (13 - 10),
     "failures": 2,  # W2 (03-04 10:00) and W3 (03-09 22:00, still in progress); W1 was reported 02-28
     "repairs": 2,  # W1 (closed 03-01 02:12) and W2 (closed 03-04 13:00); W3 is not closed
     # W1 clipped to 03-01 00:00 -> 02:12, W2 10:00 -> 13:00
     "repair_hours": (2 * HOUR + 12) / HOUR + (13 - 10)}
# REL-B: created 03-03 12:00, observed until the range end 03-11 00:00.
B = {"observed": 7 * 24 + 12,
     # 03-05 08:00 -> 20:00, and 03-10 18:00 -> still open: ends at the range end 03-11 00:00
     "downtime": (20 - 8) + (24 - 18),
     "failures": 2,  # W5 (03-05 08:00) and W6 (03-10 20:00); W7 is reported after the range
     "repairs": 2,
     "repair_hours": (20 - 8) + (24 - 20)}  # W5 08:00 -> 20:00; W6 20:00 -> 04:00 next day, clipped at 24:00
# REL-C: created 2025, down 03-09 00:00 -> 03-12 00:00 (clipped at the end: 2 days); no work in range.
C = {"observed": 10 * 24, "downtime": 2 * 24, "failures": 0, "repairs": 0, "repair_hours": 0}


def summed(*devices):
    return {key: sum(d[key] for d in devices) for key in A}


def device_row(fixture_device, hospital, hand):
    return {"id": fixture_device.id, "asset_number": fixture_device.asset_number, "name": fixture_device.name,
            "model": fixture_device.model, "hospital": hospital.id, "hospital_name": hospital.name,
            **figures(**hand)}


def test_admin_gets_every_figure_per_device_to_the_minute(fleet, admin_client):
    response = admin_client.get(URL, RANGE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["from"] == "2026-03-01" and body["to"] == "2026-03-10"
    assert body["hours_in_range"] == 10 * 24
    assert body["time_zone"] == "UTC"
    # REL-D was created after the range: not in it. Rows by asset number.
    assert body["devices"] == [
        device_row(fleet.a, fleet.alpha, A),
        device_row(fleet.b, fleet.beta, B),
        device_row(fleet.c, fleet.beta, C),
    ]
    a, b, c = body["devices"]
    # The same, as literals: what docs/reliability.md works through.
    assert (a["downtime_hours"], a["uptime_percent"], a["mtbf_hours"], a["mttr_hours"]) == (9.6, 96.0, 115.2, 2.6)
    assert (b["observed_hours"], b["uptime_percent"], b["mtbf_hours"], b["mttr_hours"]) == (180.0, 90.0, 81.0, 8.0)
    assert (c["uptime_percent"], c["mtbf_hours"], c["mttr_hours"], c["repair_hours"]) == (80.0, None, None, 0.0)


def test_rollups_sum_hours_and_counts_and_recompute_the_ratios(fleet, admin_client):
    body = admin_client.get(URL, RANGE).json()
    assert body["models"] == [
        {"model": "IP-200", "devices": 2, **figures(**summed(A, B))},
        {"model": "VT-1", "devices": 1, **figures(**C)},
    ]
    assert body["hospitals"] == [
        {"hospital": fleet.alpha.id, "hospital_name": "Alpha", "devices": 1, **figures(**A)},
        {"hospital": fleet.beta.id, "hospital_name": "Beta", "devices": 2, **figures(**summed(B, C))},
    ]
    ip200, beta = body["models"][0], body["hospitals"][1]
    # (420 - 27.6) / 420 and 392.4 / 4 failures; 21.2 repair hours / 4 repairs
    assert (ip200["uptime_percent"], ip200["mtbf_hours"], ip200["mttr_hours"]) == (93.43, 98.1, 5.3)
    # Beta: (420 - 66) / 420 = 84.29 %, not the average of its devices' 90 % and 80 % (85 %).
    assert beta["uptime_percent"] == 84.29 and beta["mtbf_hours"] == 354 / 2


def test_hospital_and_model_filters_narrow_every_level(fleet, admin_client):
    body = admin_client.get(URL, {**RANGE, "hospital": fleet.beta.id}).json()
    assert [row["asset_number"] for row in body["devices"]] == ["REL-B", "REL-C"]
    assert body["models"] == [{"model": "IP-200", "devices": 1, **figures(**B)},
                              {"model": "VT-1", "devices": 1, **figures(**C)}]
    assert [row["hospital_name"] for row in body["hospitals"]] == ["Beta"]

    body = admin_client.get(URL, {**RANGE, "model": "IP-200"}).json()
    assert [row["asset_number"] for row in body["devices"]] == ["REL-A", "REL-B"]
    assert body["models"] == [{"model": "IP-200", "devices": 2, **figures(**summed(A, B))}]
    assert body["hospitals"] == [
        {"hospital": fleet.alpha.id, "hospital_name": "Alpha", "devices": 1, **figures(**A)},
        {"hospital": fleet.beta.id, "hospital_name": "Beta", "devices": 1, **figures(**B)},
    ]

    body = admin_client.get(URL, {**RANGE, "model": "IP-20"}).json()  # exact match only
    assert body["devices"] == body["models"] == body["hospitals"] == []

    body = admin_client.get(URL, {**RANGE, "model": "", "hospital": ""}).json()  # empty: no filter, as on lists
    assert len(body["devices"]) == 3


def test_a_range_before_any_device_existed_is_empty(fleet, admin_client):
    body = admin_client.get(URL, {"from": "2020-01-01", "to": "2020-12-31"}).json()
    assert body["hours_in_range"] == 366 * 24
    assert body["devices"] == body["models"] == body["hospitals"] == []


def test_the_dates_are_the_hospitals_local_days(settings, admin_client, db):
    settings.TIME_ZONE = "Asia/Riyadh"  # UTC+3: 2026-03-01 local is [02-28 21:00, 03-01 21:00) UTC
    from tests.factories.equipment import HospitalFactory

    pump = device("TZ-1", "IP-200", HospitalFactory(), at(1, 1))
    work_order(pump, at(2, 28, 22))  # 03-01 01:00 local: in the day
    work_order(pump, at(3, 1, 22))  # 03-02 01:00 local: the next day
    down(pump, at(2, 28, 20), at(2, 28, 22))  # 23:00 -> 01:00 local: one hour inside
    body = admin_client.get(URL, {"from": "2026-03-01", "to": "2026-03-01"}).json()
    assert body["time_zone"] == "Asia/Riyadh" and body["hours_in_range"] == 24
    (row,) = body["devices"]
    assert (row["observed_hours"], row["downtime_hours"], row["failures"]) == (24, 1, 1)


def test_a_local_day_that_skips_an_hour_has_23(settings, admin_client, db):
    settings.TIME_ZONE = "Europe/Berlin"  # summer time from 2026-03-29 02:00
    body = admin_client.get(URL, {"from": "2026-03-29", "to": "2026-03-29"}).json()
    assert body["hours_in_range"] == 23


def test_csv_streams_the_same_rows_with_their_level(fleet, admin_client):
    response = admin_client.get(URL, {**RANGE, "format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="reliability-2026-03-01-2026-03-10.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["level"], row["asset_number"] or row["model"] or row["hospital_name"]) for row in rows] == [
        ("device", "REL-A"), ("device", "REL-B"), ("device", "REL-C"),
        ("model", "IP-200"), ("model", "VT-1"),
        ("hospital", "Alpha"), ("hospital", "Beta"),
    ]
    json_body = admin_client.get(URL, RANGE).json()
    for row, expected in zip(rows, json_body["devices"] + json_body["models"] + json_body["hospitals"], strict=True):
        for key, value in expected.items():
            assert row[key] == ("" if value is None else str(value)), (row, key)
    assert rows[2]["mtbf_hours"] == "" and rows[2]["id"] == str(fleet.c.id)
    assert rows[3]["devices"] == "2" and rows[3]["id"] == rows[3]["hospital"] == ""


def test_counts_are_integers_at_every_level(fleet, admin_client):
    body = admin_client.get(URL, RANGE).json()
    for row in body["devices"] + body["models"] + body["hospitals"]:
        for key in ("failures", "repairs", "devices"):
            assert type(row.get(key, 0)) is int, (row, key)  # PostgreSQL's SUM would answer 4.0


def test_csv_writes_a_formula_like_name_as_text(fleet, admin_client):
    fleet.a.name = "=HYPERLINK(\"http://evil\")"
    fleet.a.save(update_fields=["name"])
    text = b"".join(admin_client.get(URL, {**RANGE, "format": "csv"}).streaming_content).decode()
    (row,) = [row for row in csv.DictReader(io.StringIO(text)) if row["asset_number"] == "REL-A"]
    assert row["name"] == "'=HYPERLINK(\"http://evil\")"


def test_csv_errors_stay_json(admin_client, client_for):
    response = admin_client.get(URL, {"from": "2026-03-01", "format": "csv"}, HTTP_ACCEPT="text/csv")
    assert response["Content-Type"] == "application/json"
    assert_error(response, 400, "validation_error", fields=["to"])
    response = client_for(Role.NURSE).get(URL, {**RANGE, "format": "csv"})
    assert response["Content-Type"] == "application/json"
    assert_error(response, 403)


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.ENGINEER, Role.PATIENT])
def test_other_roles_are_refused(role, client_for, fleet):
    assert_error(client_for(role).get(URL, RANGE), 403)


def test_anonymous_callers_are_refused(api_client, fleet):
    assert_error(api_client.get(URL, RANGE), 401)


@pytest.mark.parametrize(("query", "field"), [
    ({"to": "2026-03-10"}, "from"),
    ({"from": "2026-03-01"}, "to"),
    ({}, "from"),
    ({"from": "2026-03-32", "to": "2026-04-10"}, "from"),
    ({"from": "2026-03-01", "to": "10/03/2026"}, "to"),
    ({"from": "2026-03-10", "to": "2026-03-09"}, "to"),
    ({"from": "2024-01-01", "to": "2027-01-01"}, "to"),  # one day more than 3 years
    ({"from": "2024-02-29", "to": "2027-02-28"}, "to"),  # 3 years after 29 Feb is 28 Feb
    ({"from": "1899-12-31", "to": "1900-01-02"}, "from"),
    ({**RANGE, "hospital": "999999"}, "hospital"),
    ({**RANGE, "hospital": "north"}, "hospital"),
    ({**RANGE, "hospital": "9" * 25}, "hospital"),  # beyond any integer column: still a 400
    ({**RANGE, "model": "M" * 121}, "model"),
    ({**RANGE, "format": "xml"}, "format"),
])
def test_bad_input_is_a_400_naming_the_parameter(query, field, admin_client):
    body = assert_error(admin_client.get(URL, query), 400, "validation_error", fields=[field])
    assert field in body["message"]


@pytest.mark.parametrize("query", [
    {"from": "2024-01-01", "to": "2026-12-31"},  # exactly 3 years
    {"from": "2024-02-29", "to": "2027-02-27"},
    {"from": "2026-03-01", "to": "2026-03-01"},  # one day
])
def test_ranges_up_to_three_years_are_accepted(query, admin_client):
    assert admin_client.get(URL, query).status_code == 200


def test_the_request_runs_one_query_per_level(fleet, admin_client, django_assert_num_queries):
    with django_assert_num_queries(1 + 3):  # the caller's account (authentication), then the three levels
        assert admin_client.get(URL, RANGE).status_code == 200
    with django_assert_num_queries(1 + 1 + 3):  # ... and the hospital looked up once; the CSV as it streams
        response = admin_client.get(URL, {**RANGE, "hospital": fleet.beta.id, "format": "csv"})
        assert b"".join(response.streaming_content).count(b"\n") == 1 + 2 + 2 + 1


def test_the_schema_documents_the_parameters_the_answers_and_an_example():
    from drf_spectacular.generators import SchemaGenerator

    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"][URL]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"from", "to", "hospital", "model", "format"} <= set(parameters)
    assert parameters["from"]["required"] and parameters["to"]["required"]
    assert sorted(parameters["format"]["schema"]["enum"]) == ["csv", "json"]
    assert operation["summary"]
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    assert content["application/json"]["examples"] and content["text/csv"]["examples"]
    assert {"400", "401", "403"} <= set(operation["responses"])


def test_the_examples_have_the_answers_columns(fleet, admin_client):
    from reports.exports import COLUMNS
    from reports.views import EXAMPLE, EXAMPLE_CSV

    assert EXAMPLE_CSV.splitlines()[0] == ",".join(COLUMNS)
    body = admin_client.get(URL, RANGE).json()
    assert set(EXAMPLE) == set(body)
    for level in ("devices", "models", "hospitals"):
        assert list(EXAMPLE[level][0]) == list(body[level][0]), level
