from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from monitoring.models import MinuteRollup, Reading
from tests.factories.equipment import DeviceFactory
from tests.factories.monitoring import monitored_patient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ingest_path")]


def iso(moment):
    return moment.isoformat()


def batch(monitor, count, start=None, bpm=72, step=timedelta(seconds=1)):
    start = start or timezone.now() - timedelta(hours=2)
    return [{"device": monitor.id, "bpm": bpm, "recorded_at": iso(start + i * step)} for i in range(count)]


# --- ingest -------------------------------------------------------------------------------------

def test_single_reading_defaults_to_the_assigned_patient(ward):
    body = {"device": ward.monitor.id, "bpm": 80, "recorded_at": iso(timezone.now())}
    response = ward.nurse.post("/api/records/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"received": 1, "created": 1, "duplicates": 0}
    reading = Reading.objects.get()
    assert (reading.patient, reading.device, reading.bpm) == (ward.patient, ward.monitor, 80)


def test_full_batch_is_stored_once_and_replay_reports_duplicates(ward, django_assert_max_num_queries):
    readings = batch(ward.monitor, 5000)
    # 15: auth and scope look-ups, the ingest's storing statements and the alert rules' reads.
    with django_assert_max_num_queries(15):
        first = ward.nurse.post("/api/records/", readings, format="json")
    assert first.json() == {"received": 5000, "created": 5000, "duplicates": 0}
    replay = ward.nurse.post("/api/records/", readings, format="json")
    assert replay.status_code == 201
    assert replay.json() == {"received": 5000, "created": 0, "duplicates": 5000}
    assert Reading.objects.count() == 5000
    assert sum(MinuteRollup.objects.values_list("count", flat=True)) == 5000


def test_partly_new_batch_counts_only_new_rows_and_in_batch_duplicates(ward):
    readings = batch(ward.monitor, 10)
    ward.nurse.post("/api/records/", readings[:4], format="json")
    response = ward.nurse.post("/api/records/", {"readings": readings + readings[-1:]}, format="json")
    assert response.json() == {"received": 11, "created": 6, "duplicates": 5}
    assert Reading.objects.count() == 10


def test_more_than_5000_is_refused(ward):
    assert_error(ward.nurse.post("/api/records/", batch(ward.monitor, 5001), format="json"), 400,
                 fields=["non_field_errors"])
    assert not Reading.objects.exists()


@pytest.mark.parametrize("change, field", [
    ({"bpm": 19}, "bpm"),
    ({"bpm": 301}, "bpm"),
    ({"bpm": "80"}, "bpm"),
    ({"bpm": True}, "bpm"),
    ({"bpm": 80.5}, "bpm"),
    ({"recorded_at": "yesterday"}, "recorded_at"),
    ({"recorded_at": "2026-01-01T10:00:00"}, "recorded_at"),
    ({"device": "x"}, "device"),
    ({"device": 999999}, "device"),
    ({"device": 2**70}, "device"),
    ({"patient": 2**70}, "patient"),
    ({"recorded_at": "0001-01-01T00:00:00+01:00"}, "recorded_at"),
    ({"recorded_at": "1999-12-31T23:59:59Z"}, "recorded_at"),
    ({"recorded_at": "2026-11-20T00:00:00\u0000Z"}, "recorded_at"),
])
def test_one_bad_item_rejects_the_batch_with_its_index(ward, change, field):
    readings = batch(ward.monitor, 10)
    readings[7].update(change)
    body = assert_error(ward.nurse.post("/api/records/", readings, format="json"), 400, "validation_error",
                        fields=[f"items[7].{field}"])
    assert "Item 7" in body["errors"][f"items[7].{field}"][0]
    assert not Reading.objects.exists() and not MinuteRollup.objects.exists()


def test_single_bad_object_names_the_plain_field(ward):
    response = ward.nurse.post("/api/records/", {"device": ward.monitor.id, "bpm": 10,
                                                 "recorded_at": iso(timezone.now())}, format="json")
    assert_error(response, 400, fields=["bpm"])


def test_future_timestamps_are_refused_beyond_the_skew(ward):
    too_late = {"device": ward.monitor.id, "bpm": 70, "recorded_at": iso(timezone.now() + timedelta(seconds=30))}
    assert_error(ward.nurse.post("/api/records/", too_late, format="json"), 400, fields=["recorded_at"])
    within = {"device": ward.monitor.id, "bpm": 70, "recorded_at": iso(timezone.now() + timedelta(seconds=2))}
    assert ward.nurse.post("/api/records/", within, format="json").status_code == 201


def test_non_monitor_and_unassigned_monitor_are_refused(ward, admin_client):
    pump = DeviceFactory()
    body = {"device": pump.id, "bpm": 70, "recorded_at": iso(timezone.now())}
    assert_error(admin_client.post("/api/records/", body, format="json"), 400, fields=["device"])
    idle = DeviceFactory(monitor=True)
    body = {"device": idle.id, "bpm": 70, "recorded_at": iso(timezone.now())}
    assert_error(admin_client.post("/api/records/", body, format="json"), 400, fields=["patient"])


def test_empty_or_malformed_bodies(ward):
    assert_error(ward.nurse.post("/api/records/", [], format="json"), 400)
    assert_error(ward.nurse.post("/api/records/", "42", content_type="application/json"), 400)
    assert_error(ward.nurse.post("/api/records/", [1, 2], format="json"), 400, fields=["items[0].non_field_errors"])


def test_staff_may_post_only_to_monitors_of_patients_in_their_scope(ward):
    body = {"device": ward.monitor.id, "bpm": 70, "recorded_at": iso(timezone.now())}
    refused = assert_error(ward.stranger_nurse.post("/api/records/", body, format="json"), 400, fields=["device"])
    assert refused["errors"] == {"device": [f"Unknown device {ward.monitor.id}."]}  # no hint of whose it is
    _other_patient, other_monitor = monitored_patient()
    foreign = {"device": other_monitor.id, "patient": ward.patient.id, "bpm": 70, "recorded_at": iso(timezone.now())}
    assert_error(ward.doctor.post("/api/records/", foreign, format="json"), 400, fields=["device"])
    assert not Reading.objects.exists()
    assert ward.doctor.post("/api/records/", body, format="json").status_code == 201
    assert Reading.objects.get().patient == ward.patient


def test_staff_may_not_name_another_patient_for_a_monitor(ward):
    _other_patient, _monitor = monitored_patient(department=ward.department)
    body = {"device": ward.monitor.id, "patient": _other_patient.id, "bpm": 70, "recorded_at": iso(timezone.now())}
    assert_error(ward.nurse.post("/api/records/", body, format="json"), 400, fields=["patient"])
    assert not Reading.objects.exists()


def test_admin_may_record_a_monitor_reading_for_any_patient(ward, admin_client):
    other, _monitor = monitored_patient()
    body = {"device": ward.monitor.id, "patient": other.id, "bpm": 70, "recorded_at": iso(timezone.now())}
    assert admin_client.post("/api/records/", body, format="json").status_code == 201
    assert Reading.objects.get().patient == other


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.PATIENT])
def test_engineers_and_patients_cannot_post_readings(client_for, ward, role):
    body = {"device": ward.monitor.id, "bpm": 70, "recorded_at": iso(timezone.now())}
    assert_error(client_for(role).post("/api/records/", body, format="json"), 403)
    assert not Reading.objects.exists()


def test_anonymous_cannot_post(api_client, ward):
    assert_error(api_client.post("/api/records/", {}, format="json"), 401)


# --- history ------------------------------------------------------------------------------------

def test_history_is_newest_first_and_cursor_walks_every_reading_once(ward, admin_client):
    start = timezone.now() - timedelta(hours=1)
    ward.nurse.post("/api/records/", batch(ward.monitor, 45, start=start), format="json")
    seen, url = [], f"/api/records/{ward.patient.id}/?page_size=10"
    while url:
        page = ward.doctor.get(url).json()
        assert "count" not in page
        seen.extend(page["results"])
        url = page["next"]
    assert len(seen) == 45 and len({r["id"] for r in seen}) == 45
    times = [r["recorded_at"] for r in seen]
    assert times == sorted(times, reverse=True)


def test_history_from_to_filters(ward):
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    ward.nurse.post("/api/records/", batch(ward.monitor, 60, start=start, step=timedelta(minutes=1)),
                    format="json")
    url = f"/api/records/{ward.patient.id}/?from=2026-11-20T10:10:00Z&to=2026-11-20T10:20:00Z&page_size=100"
    results = ward.nurse.get(url).json()["results"]
    assert len(results) == 10
    assert results[0]["recorded_at"].startswith("2026-11-20T10:19")


def test_history_bad_parameters_are_400(ward):
    base = f"/api/records/{ward.patient.id}/"
    assert_error(ward.nurse.get(base + "?bucket=2m"), 400, fields=["bucket"])
    assert_error(ward.nurse.get(base + "?from=nonsense"), 400, fields=["from"])
    assert_error(ward.nurse.get(base + "?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z"), 400, fields=["to"])
    assert_error(ward.nurse.get(base + "?bucket=1m&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"), 400,
                 fields=["bucket"])
    assert_error(ward.nurse.get(base + "?bucket=1h&to=0001-01-01T00:00:00Z"), 400, fields=["to"])
    assert_error(ward.nurse.get(base + "?from=1990-01-01T00:00:00Z"), 400, fields=["from"])
    assert_error(ward.nurse.get(base + "?from=2026-11-20T10:00:00"), 400, fields=["from"])
    assert_error(ward.nurse.get(base + "?to=2026-11-20"), 400, fields=["to"])
    assert_error(ward.nurse.get(base + "?cursor=zzz"), 400, fields=["cursor"])  # not a 404 like a missing patient


def test_history_scoping(ward, client_for):
    url = f"/api/records/{ward.patient.id}/"
    assert ward.nurse.get(url).status_code == 200
    assert ward.doctor.get(url).status_code == 200
    assert_error(ward.stranger_nurse.get(url), 404)
    assert_error(ward.stranger_doctor.get(url), 404)
    assert_error(client_for(Role.ENGINEER).get(url), 403)
    assert_error(client_for(Role.PATIENT).get(url), 404)
    assert_error(ward.nurse.get("/api/records/999999/"), 404)


def test_patient_reads_own_history(client_for):
    owner = client_for(Role.PATIENT)
    patient = owner.user.patient_record
    monitor = DeviceFactory(monitor=True, patient=patient)
    from tests.factories.monitoring import ReadingFactory

    ReadingFactory.create_batch(3, patient=patient, device=monitor)
    assert len(owner.get(f"/api/records/{patient.id}/").json()["results"]) == 3


# --- buckets ------------------------------------------------------------------------------------

def test_bucket_arithmetic_on_known_data(ward):
    start = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    # 10:00-10:04 -> bpm 60..64 (one per minute); 10:05-10:09 -> 100..104
    readings = [{"device": ward.monitor.id, "bpm": 60 + i if i < 5 else 95 + i,
                 "recorded_at": iso(start + timedelta(minutes=i))} for i in range(10)]
    ward.nurse.post("/api/records/", readings, format="json")
    body = ward.nurse.get(f"/api/records/{ward.patient.id}/?bucket=5m&from=2026-11-20T10:00:00Z"
                          f"&to=2026-11-20T10:10:00Z").json()
    assert body["source"] == "raw" and body["bucket"] == "5m"
    assert body["results"] == [
        {"start": "2026-11-20T10:00:00Z", "min": 60, "max": 64, "avg": 62.0, "count": 5, "suspect_count": 0},
        {"start": "2026-11-20T10:05:00Z", "min": 100, "max": 104, "avg": 102.0, "count": 5, "suspect_count": 0},
    ]


def test_long_windows_come_from_the_rollup_with_the_same_answer(ward):
    start = datetime(2026, 11, 10, 0, 0, tzinfo=UTC)
    readings = batch(ward.monitor, 3000, start=start, step=timedelta(seconds=20), bpm=70)
    for i, reading in enumerate(readings):
        reading["bpm"] = 60 + i % 40
    ward.nurse.post("/api/records/", readings, format="json")
    url = f"/api/records/{ward.patient.id}/?bucket=1h&from=2026-11-10T00:00:00Z"
    short = ward.nurse.get(url + "&to=2026-11-11T00:00:00Z").json()
    long = ward.nurse.get(url + "&to=2026-11-17T00:00:00Z").json()
    assert short["source"] == "raw" and long["source"] == "rollup"
    assert long["results"] == short["results"]
    assert sum(b["count"] for b in long["results"]) == 3000
    first = long["results"][0]
    assert first["count"] == 180 and first["min"] == 60 and first["max"] == 99


def test_default_bucket_window_is_the_last_24_hours(ward):
    ward.nurse.post("/api/records/", batch(ward.monitor, 120, start=timezone.now() - timedelta(hours=30)),
                    format="json")
    ward.nurse.post("/api/records/", batch(ward.monitor, 60, start=timezone.now() - timedelta(hours=1)),
                    format="json")
    body = ward.nurse.get(f"/api/records/{ward.patient.id}/?bucket=1h").json()
    assert sum(b["count"] for b in body["results"]) == 60


def test_other_patients_readings_never_leak_into_buckets(ward):
    _other, other_monitor = monitored_patient(department=ward.department)
    moment = timezone.now() - timedelta(minutes=5)
    ward.nurse.post("/api/records/", [{"device": other_monitor.id, "bpm": 200, "recorded_at": iso(moment)}],
                    format="json")
    body = ward.nurse.get(f"/api/records/{ward.patient.id}/?bucket=1m").json()
    assert body["results"] == []
