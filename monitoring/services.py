"""Writes with rules: storing readings (idempotent), keeping the rollup and alerts, alert decisions, keys."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.errors import Conflict
from monitoring.choices import (
    ALERT_TRANSITIONS,
    CRITICAL_HIGH_FACTOR,
    CRITICAL_LOW_FACTOR,
    LIVE_ALERT_STATUSES,
    AlertKind,
    AlertSeverity,
    AlertStatus,
)
from monitoring.models import Alert, DeviceApiKey

UPSERT_CHUNK = 2000  # rows per multi-row upsert statement (well under both databases' parameter limits)


@dataclass(frozen=True)
class IngestResult:
    received: int
    created: int
    duplicates: int


def _greatest():
    return ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")


# --- storing readings --------------------------------------------------------------------------

_STAGE = "ingest_readings_stage"
_INSERT_FROM_STAGE = (
    "INSERT INTO monitoring_reading (device_id, patient_id, bpm, recorded_at) "
    f"SELECT device_id, patient_id, bpm, recorded_at FROM {_STAGE} "
    "{where} ORDER BY device_id, recorded_at "
    "ON CONFLICT (device_id, recorded_at) DO NOTHING RETURNING device_id, recorded_at"
)


def _insert_new(cursor, readings):
    """Stage the batch in a temporary table (COPY on PostgreSQL), then one INSERT ... SELECT ...
    ON CONFLICT DO NOTHING; answers the (device, recorded_at) keys that were new."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(r.device_id, r.patient_id, r.bpm, adapt(r.recorded_at)) for r in readings]
    if connection.vendor == "postgresql":
        cursor.execute(
            f"CREATE TEMP TABLE {_STAGE} (device_id bigint, patient_id bigint, bpm smallint, "
            "recorded_at timestamptz) ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY {_STAGE} (device_id, patient_id, bpm, recorded_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(_INSERT_FROM_STAGE.format(where=""))
    else:
        cursor.execute(f"CREATE TEMP TABLE {_STAGE} (device_id integer, patient_id integer, bpm integer, "
                       "recorded_at text)")
        cursor.executemany(f"INSERT INTO {_STAGE} VALUES (%s, %s, %s, %s)", rows)
        # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT to parse the upsert.
        cursor.execute(_INSERT_FROM_STAGE.format(where="WHERE true"))
    inserted = {(device_id, _utc(recorded_at)) for device_id, recorded_at in cursor.fetchall()}
    cursor.execute(f"DROP TABLE {_STAGE}")
    return [r for r in readings if (r.device_id, r.recorded_at) in inserted]


def _utc(value):
    """PostgreSQL answers aware datetimes; SQLite naive UTC ones (or text): make them comparable."""
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _update_rollup(cursor, readings):
    """Fold new readings into the per-minute rollup with one upsert per chunk of minutes."""
    minutes = defaultdict(lambda: [0, 0, 10_000, 0])
    for r in readings:
        bucket = minutes[(r.patient_id, r.recorded_at.replace(second=0, microsecond=0))]
        bucket[0] += 1
        bucket[1] += r.bpm
        bucket[2] = min(bucket[2], r.bpm)
        bucket[3] = max(bucket[3], r.bpm)
    greatest, least = _greatest()
    adapt = connection.ops.adapt_datetimefield_value
    values = [(patient, adapt(minute), *agg) for (patient, minute), agg in sorted(minutes.items())]
    for start in range(0, len(values), UPSERT_CHUNK):
        chunk = values[start:start + UPSERT_CHUNK]
        cursor.execute(
            "INSERT INTO monitoring_minuterollup (patient_id, minute, count, bpm_sum, bpm_min, bpm_max) VALUES "
            + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            + " ON CONFLICT (patient_id, minute) DO UPDATE SET "
            "count = monitoring_minuterollup.count + excluded.count, "
            "bpm_sum = monitoring_minuterollup.bpm_sum + excluded.bpm_sum, "
            f"bpm_min = {least}(monitoring_minuterollup.bpm_min, excluded.bpm_min), "
            f"bpm_max = {greatest}(monitoring_minuterollup.bpm_max, excluded.bpm_max)",
            [field for row in chunk for field in row],
        )


def breach_of(bpm, hr_low, hr_high):
    """(kind, severity) of a reading outside the patient's band, or None inside it."""
    if bpm > hr_high:
        return AlertKind.TACHYCARDIA, (
            AlertSeverity.CRITICAL if bpm > hr_high * CRITICAL_HIGH_FACTOR else AlertSeverity.WARNING)
    if bpm < hr_low:
        return AlertKind.BRADYCARDIA, (
            AlertSeverity.CRITICAL if bpm < hr_low * CRITICAL_LOW_FACTOR else AlertSeverity.WARNING)
    return None


def _update_alerts(cursor, readings, thresholds):
    """Open or update one live alert per (patient, kind) for the breaches among new readings:
    one upsert against the partial unique index, so concurrent batches never open two."""
    groups = {}
    for r in sorted(readings, key=lambda r: r.recorded_at):
        breach = breach_of(r.bpm, *thresholds[r.patient_id])
        if breach is None:
            continue
        kind, severity = breach
        group = groups.get((r.patient_id, kind))
        if group is None:
            groups[(r.patient_id, kind)] = group = {
                "device": r.device_id, "severity": severity, "first": r.bpm, "last": r.bpm, "peak": r.bpm,
                "count": 0, "opened_at": r.recorded_at, "last_at": r.recorded_at,
            }
        group["count"] += 1
        group["device"], group["last"], group["last_at"] = r.device_id, r.bpm, r.recorded_at
        group["peak"] = max(group["peak"], r.bpm) if kind == AlertKind.TACHYCARDIA else min(group["peak"], r.bpm)
        if severity == AlertSeverity.CRITICAL:
            group["severity"] = AlertSeverity.CRITICAL
    if not groups:
        return 0
    greatest, least = _greatest()
    adapt = connection.ops.adapt_datetimefield_value
    values = [
        (patient, g["device"], kind.value, g["severity"].value, AlertStatus.OPEN.value, g["first"], g["last"],
         g["peak"], g["count"], adapt(g["opened_at"]), adapt(g["last_at"]), "")
        for (patient, kind), g in sorted(groups.items())
    ]
    live = ", ".join(f"'{status.value}'" for status in LIVE_ALERT_STATUSES)
    cursor.execute(
        "INSERT INTO monitoring_alert (patient_id, device_id, kind, severity, status, first_value, last_value, "
        "peak_value, breach_count, opened_at, last_breach_at, note) VALUES "
        + ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(values))
        + f" ON CONFLICT (patient_id, kind) WHERE status IN ({live}) DO UPDATE SET "
        "severity = CASE WHEN monitoring_alert.severity = 'critical' OR excluded.severity = 'critical' "
        "THEN 'critical' ELSE 'warning' END, "
        "last_value = CASE WHEN excluded.last_breach_at >= monitoring_alert.last_breach_at "
        "THEN excluded.last_value ELSE monitoring_alert.last_value END, "
        f"last_breach_at = {greatest}(monitoring_alert.last_breach_at, excluded.last_breach_at), "
        f"peak_value = CASE WHEN excluded.kind = 'tachycardia' "
        f"THEN {greatest}(monitoring_alert.peak_value, excluded.peak_value) "
        f"ELSE {least}(monitoring_alert.peak_value, excluded.peak_value) END, "
        "breach_count = monitoring_alert.breach_count + excluded.breach_count, "
        "device_id = excluded.device_id",
        [field for row in values for field in row],
    )
    return len(values)


def readings_ingest(batch):
    """Store a validated batch once: new readings, their rollup and their alerts, in one transaction.
    A fixed number of statements per batch, whatever its size (rollup: one per 2,000 minutes)."""
    if not batch.readings:
        return IngestResult(batch.received, 0, batch.received)
    with transaction.atomic(), connection.cursor() as cursor:
        new = _insert_new(cursor, batch.readings)
        if new:
            _update_rollup(cursor, new)
            _update_alerts(cursor, new, batch.thresholds)
    return IngestResult(batch.received, len(new), batch.received - len(new))


# --- alert decisions ---------------------------------------------------------------------------

def _alert_transition(alert, action):
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status not in ALERT_TRANSITIONS[action]:
        raise Conflict(f"A {alert.status} alert cannot be {action}d.", code="invalid_transition")
    return alert


@transaction.atomic
def alert_acknowledge(*, alert, by):
    alert = _alert_transition(alert, "acknowledge")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, by, timezone.now()
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    return alert


@transaction.atomic
def alert_resolve(*, alert, by, note=""):
    alert = _alert_transition(alert, "resolve")
    alert.status, alert.resolved_by, alert.resolved_at = AlertStatus.RESOLVED, by, timezone.now()
    alert.note = note or alert.note
    alert.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
    return alert


# --- device API keys ---------------------------------------------------------------------------

def api_key_issue(*, device, by, name=""):
    """A new ingest key for the device; the raw key is returned once and only its hash is kept."""
    raw, prefix, key_hash = DeviceApiKey.generate()
    key = DeviceApiKey.objects.create(device=device, name=name, prefix=prefix, key_hash=key_hash, created_by=by)
    return key, raw


def api_keys_revoke(*, keys):
    """Revoke keys (idempotent: an already revoked key keeps its first revocation time)."""
    return keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
