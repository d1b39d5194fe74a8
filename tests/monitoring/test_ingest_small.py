"""The small-batch ingest (one statement, no temporary tables) against the large one (staged): the
same readings, rollup, alerts and audit entries; its statement count; HL7 through both paths."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from devices.choices import DeviceStatus
from monitoring import services
from monitoring.choices import MAX_BATCH
from monitoring.hl7.message import HeartRate
from monitoring.hl7.store import readings_store
from monitoring.ingest import Batch, ParsedReading
from monitoring.models import Alert, MinuteRollup, Reading
from tests.factories.monitoring import monitored_patient

pytestmark = pytest.mark.django_db

PATHS = {"small": MAX_BATCH, "large": 0}


def ingest(readings):
    return services.readings_ingest(Batch(list(readings), len(readings)))


def statements(queries):
    """The statements sent, without the test transaction's savepoints (a request has none)."""
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


def stream(seed, start):
    """Offsets (s) and bpm of a stream with spikes, sustained breaches both ways and recoveries."""
    rng = random.Random(seed)
    bpms, level = [], 75
    for _ in range(400):
        if rng.random() < 0.02:
            level = rng.choice([75, 75, 140, 38])
        bpms.append(level + rng.randint(-4, 4) if rng.random() > 0.03 else 160)
    return [(start + timedelta(seconds=i), bpm) for i, bpm in enumerate(bpms)]


def batches(seed, samples):
    """The same samples cut into batches of 1 to 40 readings, posted in a shuffled order, with repeats."""
    rng = random.Random(seed)
    cuts, i = [], 0
    while i < len(samples):
        size = rng.choice([1, 1, 2, 5, 20, 40])
        cuts.append(samples[i:i + size])
        i += size
    rng.shuffle(cuts)
    return cuts + rng.sample(cuts, 3)


def snapshot(patient):
    alerts = list(Alert.objects.filter(patient=patient).order_by("opened_at", "kind"))
    entries = [sorted((e.action, sorted(e.changes.items()) if isinstance(e.changes, dict) else e.changes)
                      for e in AuditEntry.objects.filter(object_id=alert.pk, content_type__model="alert"))
               for alert in alerts]
    return {
        "readings": list(Reading.objects.filter(patient=patient).order_by("recorded_at").values_list(
            "bpm", "recorded_at", "device_suspect")),
        "rollup": list(MinuteRollup.objects.filter(patient=patient).values_list(
            "minute", "count", "bpm_sum", "bpm_min", "bpm_max")),
        "alerts": [(a.kind, a.severity, a.status, a.first_value, a.last_value, a.peak_value, a.breach_count,
                    a.opened_at, a.last_breach_at, a.resolved_at, a.device_suspect, a.note) for a in alerts],
        "audit": [[(action, [c for c in changes if c[0] not in ("device", "id", "patient")])
                   for action, changes in entry] for entry in entries],
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_both_paths_store_the_same_readings_rollup_alerts_and_audit(monkeypatch, seed):
    start = timezone.now() - timedelta(hours=2)
    outcomes, counts = {}, {}
    for path, threshold in PATHS.items():
        monkeypatch.setattr(services, "SMALL_BATCH_MAX", threshold)
        patient, monitor = monitored_patient()
        if seed == 3:  # a suspect monitor: the flag and the alert note follow it on both paths
            monitor.status = DeviceStatus.MAINTENANCE
            monitor.save(update_fields=["status"])
        results = [ingest([ParsedReading(monitor.id, patient.id, bpm, at) for at, bpm in cut])
                   for cut in batches(seed, stream(seed, start))]
        counts[path] = [(r.received, r.created, r.duplicates) for r in results]
        outcomes[path] = snapshot(patient)
    assert counts["small"] == counts["large"]
    assert sum(created for _r, created, _d in counts["small"]) == 400
    assert outcomes["small"]["alerts"], "the stream must open alerts, or the comparison proves little"
    assert outcomes["small"] == outcomes["large"]


@pytest.mark.parametrize(("size", "temporary"), [(1, False), (services.SMALL_BATCH_MAX, False),
                                                 (services.SMALL_BATCH_MAX + 1, True)])
def test_the_threshold_chooses_the_path(size, temporary):
    patient, monitor = monitored_patient()
    start = (timezone.now() - timedelta(minutes=10)).replace(second=0, microsecond=0)  # one rollup minute
    with CaptureQueriesContext(connection) as queries:
        result = ingest([ParsedReading(monitor.id, patient.id, 70, start + timedelta(milliseconds=200 * i))
                         for i in range(size)])
    assert result.created == size
    assert any("TEMP TABLE" in q["sql"] for q in queries) is temporary
    assert MinuteRollup.objects.values_list("count", flat=True).get(patient=patient) == size


def test_a_single_reading_is_one_insert_with_its_rollup_and_two_reads_for_the_rules():
    patient, monitor = monitored_patient()
    reading = ParsedReading(monitor.id, patient.id, 72, timezone.now() - timedelta(seconds=5))
    with CaptureQueriesContext(connection) as queries:
        assert ingest([reading]).created == 1
    # INSERT ... RETURNING (the rollup in its CTE; a second statement on SQLite), lock the patient,
    # read the alerts that can change. A quiet reading reads no readings window.
    assert len(statements(queries)) == (3 if connection.vendor == "postgresql" else 4), statements(queries)
    with CaptureQueriesContext(connection) as queries:
        assert ingest([reading]).duplicates == 1  # re-posted: nothing stored, nothing counted
    assert len(statements(queries)) == 1
    assert MinuteRollup.objects.get(patient=patient).count == 1


def test_a_single_reading_over_http_costs_a_fixed_number_of_statements(admin_client, api_client):
    _patient, monitor = monitored_patient()
    key = admin_client.post(f"/api/devices/{monitor.id}/api-keys/", {"name": "bed"}, format="json").json()["key"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    api_client.post("/api/records/", {"bpm": 70, "recorded_at": timezone.now().isoformat()}, format="json")
    body = {"bpm": 71, "recorded_at": (timezone.now() - timedelta(seconds=1)).isoformat()}
    # The key with its device (one query), then the ingest's own (see the test above); the key's last
    # use is written at most once a minute.
    with CaptureQueriesContext(connection) as queries:
        response = api_client.post("/api/records/", body, format="json")
    assert len(statements(queries)) == (4 if connection.vendor == "postgresql" else 5), statements(queries)
    assert response.json() == {"received": 1, "created": 1, "duplicates": 0}
    assert Reading.objects.filter(device=monitor).count() == 2


@pytest.mark.usefixtures("ingest_path")
def test_an_empty_batch_stores_nothing_on_either_path():
    assert ingest([]) == services.IngestResult(0, 0, 0)
    assert not Reading.objects.exists()


@pytest.mark.usefixtures("ingest_path")
def test_hl7_observations_go_through_the_same_entry_point_on_both_paths():
    patient, monitor = monitored_patient()
    start = (timezone.now() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    observations = [HeartRate(n + 1, 130, start + timedelta(seconds=n), ("OBX", n + 1, 14), monitor.asset_number,
                              ("OBX", n + 1, 18)) for n in range(40)]
    first = readings_store(observations)
    again = readings_store(observations[:3])
    assert (first.created, again.created, again.duplicates) == (40, 0, 3)
    assert MinuteRollup.objects.filter(patient=patient).values_list("count", flat=True).get() == 40
    assert Alert.objects.filter(patient=patient).values_list("kind", "status").get() == ("tachycardia", "open")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.usefixtures("ingest_path")
def test_the_same_single_reading_posted_at_once_is_stored_and_counted_once():
    patient, monitor = monitored_patient()
    reading = ParsedReading(monitor.id, patient.id, 72, timezone.now() - timedelta(seconds=5))
    barrier, results = threading.Barrier(4), []

    def post():
        try:
            barrier.wait()
            results.append(ingest([reading]).created)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 0, 0, 1]
    assert MinuteRollup.objects.get(patient=patient).count == 1
