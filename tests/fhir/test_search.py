"""Searches: their parameters, searchset Bundles, keyset paging along the next links (to the end,
no gaps, no repeats, even while rows are added), `_count`'s bounds and unknown parameters (400)."""

from datetime import UTC, datetime, timedelta

import pytest

from clinical.choices import AppointmentStatus
from fhir.paging import DEFAULT_COUNT, MAX_COUNT
from tests.factories import PatientFactory
from tests.factories.clinical import AppointmentFactory
from tests.factories.monitoring import ReadingFactory, monitored_patient
from tests.fhir.conftest import fhir, next_link, outcome, resources, walk

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
HR = "http://loinc.org|8867-4"


@pytest.fixture
def readings():
    """A patient with 25 readings, one a minute from T0, and another patient's."""
    patient, monitor = monitored_patient()
    rows = [ReadingFactory(patient=patient, device=monitor, recorded_at=T0 + timedelta(minutes=n), bpm=60 + n)
            for n in range(25)]
    other, other_monitor = monitored_patient()
    ReadingFactory(patient=other, device=other_monitor, recorded_at=T0)
    return patient, rows


def test_observation_pages_follow_next_to_the_end_newest_first_without_gaps_or_repeats(admin_client, readings):
    patient, rows = readings
    pages = walk(admin_client, f"/fhir/Observation?patient={patient.pk}&code={HR}&_count=7")
    assert [len(page.get("entry", [])) for page in pages] == [7, 7, 7, 4]
    ids = [r["id"] for r in resources(pages)]
    assert ids == [str(row.pk) for row in sorted(rows, key=lambda r: r.recorded_at, reverse=True)]
    assert all(page["type"] == "searchset" and "total" not in page for page in pages)
    assert pages[0]["link"][0] == {"relation": "self", "url": f"http://testserver/fhir/Observation?patient={patient.pk}"
                                                              f"&code=http%3A%2F%2Floinc.org%7C8867-4&_count=7"}


def test_readings_added_while_paging_cause_no_repeats(admin_client, readings):
    patient, rows = readings
    first = fhir(admin_client.get(f"/fhir/Observation?patient={patient.pk}&_count=10"))
    ReadingFactory(patient=patient, device=rows[0].device, recorded_at=T0 + timedelta(hours=5))  # newer than all
    rest = walk(admin_client, next_link(first))
    ids = [r["id"] for r in resources([first, *rest])]
    assert len(ids) == len(set(ids)) == 25


def test_readings_at_one_instant_from_two_monitors_are_each_sent_once(admin_client):
    patient, monitor = monitored_patient()
    second = ReadingFactory(patient=patient, recorded_at=T0).device
    ReadingFactory(patient=patient, device=monitor, recorded_at=T0)
    ReadingFactory(patient=patient, device=second, recorded_at=T0 + timedelta(seconds=1))
    ids = [r["id"] for r in resources(walk(admin_client, f"/fhir/Observation?patient={patient.pk}&_count=1"))]
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.parametrize(("dates", "expected"), [
    (["ge2026-11-01T00:10:00Z"], 15),
    (["gt2026-11-01T00:10:00Z"], 14),
    (["le2026-11-01T00:10:00Z"], 11),
    (["lt2026-11-01T00:10:00Z"], 10),
    (["ge2026-11-01T00:05:00Z", "le2026-11-01T00:09:00Z"], 5),
    (["2026-11-01"], 25), (["2026-11"], 25), (["lt2026-11"], 0), (["ge2026"], 25), (["eq2026-11-02"], 0),
    (["lt2026-11-01"], 0), (["gt2026-10-31"], 25),
    (["ge2026-11-01T00:10:00+00:00"], 15),
    (["eq2026-11-01T00:03:00Z"], 1),
])
def test_observation_date_prefixes(admin_client, readings, dates, expected):
    patient, _rows = readings
    query = "".join(f"&date={value.replace('+', '%2B')}" for value in dates)
    pages = walk(admin_client, f"/fhir/Observation?patient={patient.pk}{query}&_count=500")
    assert len(resources(pages)) == expected


@pytest.mark.parametrize(("code", "found"), [(HR, 25), ("8867-4", 25), ("http://loinc.org|1234-5", 0),
                                            ("http://snomed.info/sct|8867-4", 0), ("1234-5,8867-4", 25)])
def test_observation_code(admin_client, readings, code, found):
    patient, _rows = readings
    code = code.replace("|", "%7C")
    pages = walk(admin_client, f"/fhir/Observation?patient=Patient/{patient.pk}&code={code}&_count=100")
    assert len(resources(pages)) == found


@pytest.mark.parametrize(("query", "names"), [
    ("", "patient is required"), ("patient=abc", "not a Patient id"), ("patient=Device/1", "must reference"),
    ("patient=1&date=ge-yesterday", "date="), ("patient=1&_cursor=garbage", "_cursor"),
    ("patient=1&patient=2", "once"),
])
def test_bad_observation_parameters_are_400s_naming_them(admin_client, query, names):
    assert names in outcome(admin_client.get(f"/fhir/Observation?{query}"), 400)["diagnostics"]


@pytest.mark.parametrize("path", ["/fhir/Observation?patient=1&subject=1", "/fhir/Patient?name=x",
                                  "/fhir/Appointment?status=booked", "/fhir/Slot?start=ge2026-01-01",
                                  "/fhir/Patient/1?_elements=id", "/fhir/Patient/1/$everything?_since=2026-01-01",
                                  "/fhir/metadata?mode=full", "/fhir/Observation?patient=1&_sort=date"])
def test_an_unknown_parameter_is_a_400_operation_outcome_naming_it(admin_client, path):
    unknown = path.split("?")[1].split("&")[-1].split("=")[0]
    issue = outcome(admin_client.get(path), 400, "not-supported")
    assert unknown in issue["diagnostics"]


@pytest.mark.parametrize("count", ["0", "-3", "ten", "1.5"])
def test_count_below_one_or_not_a_number_is_a_400(admin_client, count):
    assert "_count" in outcome(admin_client.get(f"/fhir/Slot?_count={count}"), 400)["diagnostics"]


def test_count_defaults_to_50_and_is_capped_at_500(admin_client):
    patient, monitor = monitored_patient()
    for n in range(MAX_COUNT + 5):
        ReadingFactory(patient=patient, device=monitor, recorded_at=T0 + timedelta(seconds=n))
    assert len(fhir(admin_client.get(f"/fhir/Observation?patient={patient.pk}"))["entry"]) == DEFAULT_COUNT
    capped = fhir(admin_client.get(f"/fhir/Observation?patient={patient.pk}&_count=100000"))
    assert len(capped["entry"]) == MAX_COUNT and next_link(capped)
    assert len(fhir(admin_client.get(next_link(capped)))["entry"]) == 5


def test_an_observation_page_costs_the_same_few_queries_at_any_size(admin_client, readings,
                                                                    django_assert_max_num_queries):
    patient, _rows = readings
    with django_assert_max_num_queries(8):
        fhir(admin_client.get(f"/fhir/Observation?patient={patient.pk}&_count=25"))


def test_patient_identifier_takes_system_and_value_or_the_plain_value(admin_client):
    patient, other = PatientFactory(), PatientFactory()
    mrn = patient.medical_record_number
    for value in (f"urn:meditrack:mrn%7C{mrn}", mrn):
        body = fhir(admin_client.get(f"/fhir/Patient?identifier={value}"))
        assert body["total"] == 1 and [e["resource"]["id"] for e in body["entry"]] == [str(patient.pk)]
        assert body["entry"][0]["fullUrl"] == f"http://testserver/fhir/Patient/{patient.pk}"
    assert fhir(admin_client.get(f"/fhir/Patient?identifier=urn:other%7C{mrn}"))["total"] == 0
    assert fhir(admin_client.get("/fhir/Patient?identifier=MRN-none"))["total"] == 0
    assert fhir(admin_client.get("/fhir/Patient"))["total"] == 2 and other


def test_appointment_search_pages_with_total(admin_client):
    patient = PatientFactory()
    made = [AppointmentFactory(patient=patient, status=AppointmentStatus.CONFIRMED) for _ in range(5)]
    AppointmentFactory()  # someone else's
    pages = walk(admin_client, f"/fhir/Appointment?patient={patient.pk}&_count=2")
    assert [len(page["entry"]) for page in pages] == [2, 2, 1] and {page["total"] for page in pages} == {5}
    assert [r["id"] for r in resources(pages)] == [str(a.pk) for a in made]


def test_everything_pages_patient_device_appointments_then_observations(admin_client, readings):
    patient, _rows = readings
    appointments = [AppointmentFactory(patient=patient) for _ in range(3)]
    AppointmentFactory()  # someone else's
    pages = walk(admin_client, f"/fhir/Patient/{patient.pk}/$everything?_count=4")
    kinds = [r["resourceType"] for r in resources(pages)]
    assert kinds == ["Patient", "Device"] + ["Appointment"] * 3 + ["Observation"] * 25
    assert all(len(page.get("entry", [])) <= 4 for page in pages) and len(pages) == 8
    assert [r["id"] for r in resources(pages, "Appointment")] == [str(a.pk) for a in appointments]
    assert len({r["id"] for r in resources(pages, "Observation")}) == 25
    assert resources(pages, "Device")[0]["patient"] == {"reference": f"Patient/{patient.pk}"}


def test_everything_never_sends_the_whole_history_at_once(admin_client, readings):
    patient, _rows = readings
    first = fhir(admin_client.get(f"/fhir/Patient/{patient.pk}/$everything"))
    assert len(first["entry"]) == 27 and next_link(first) is None  # 1 + 1 + 25 <= 50
    assert len(fhir(admin_client.get(f"/fhir/Patient/{patient.pk}/$everything?_count=10"))["entry"]) == 10


def test_everything_for_a_patient_omits_the_device_they_may_not_read(client_for):
    client = client_for("patient")
    from devices.models import Device
    from tests.factories.equipment import DeviceFactory

    DeviceFactory(monitor=True, patient=client.user.patient_record)
    assert Device.objects.count() == 1
    kinds = [r["resourceType"] for r in resources(walk(client, f"/fhir/Patient/{client.user.patient_record.pk}"
                                                               "/$everything"))]
    assert kinds == ["Patient"]
