"""Writes with rules: storing readings (idempotent), keeping the rollup and alerts, alert decisions, keys."""

from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction
from django.utils import timezone

from core.errors import Conflict, DomainError
from devices.choices import DeviceCategory
from monitoring import errors
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


@dataclass(frozen=True)
class IngestResult:
    received: int
    created: int
    duplicates: int


def _greatest():
    return ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")


# --- storing readings --------------------------------------------------------------------------

_STAGE = "ingest_stage"  # the batch as posted
_NEW = "ingest_new"  # the rows of the batch that were not stored before
_INSERT_NEW = (
    "INSERT INTO monitoring_reading (device_id, patient_id, bpm, recorded_at) "
    f"SELECT device_id, patient_id, bpm, recorded_at FROM {_STAGE} WHERE true ORDER BY device_id, recorded_at "
    "ON CONFLICT (device_id, recorded_at) DO NOTHING RETURNING device_id, patient_id, bpm, recorded_at"
)


def _store_new(cursor, readings):
    """Stage the batch in a temporary table (COPY on PostgreSQL), insert it with ON CONFLICT DO
    NOTHING, and keep the rows that were new in a second temporary table. Answers their count."""
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMP TABLE {_STAGE} (device_id bigint, patient_id bigint, bpm smallint, "
                       "recorded_at timestamptz)")
        cursor.execute(f"CREATE TEMP TABLE {_NEW} (LIKE {_STAGE})")
        with cursor.cursor.copy(f"COPY {_STAGE} (device_id, patient_id, bpm, recorded_at) FROM STDIN") as copy:
            for r in readings:
                copy.write_row((r.device_id, r.patient_id, r.bpm, r.recorded_at))
        # A data-modifying CTE: the new rows never travel back to Python.
        cursor.execute(f"WITH inserted AS ({_INSERT_NEW}) INSERT INTO {_NEW} SELECT * FROM inserted")
        return cursor.rowcount
    # SQLite (development): no COPY and no INSERT in a CTE, so the new rows pass through Python.
    adapt = connection.ops.adapt_datetimefield_value
    for table in (_STAGE, _NEW):
        cursor.execute(f"CREATE TEMP TABLE {table} (device_id integer, patient_id integer, bpm integer, "
                       "recorded_at text)")
    cursor.executemany(f"INSERT INTO {_STAGE} VALUES (%s, %s, %s, %s)",
                       [(r.device_id, r.patient_id, r.bpm, adapt(r.recorded_at)) for r in readings])
    cursor.execute(_INSERT_NEW)
    new = [(device, patient, bpm, adapt(_utc(moment))) for device, patient, bpm, moment in cursor.fetchall()]
    cursor.executemany(f"INSERT INTO {_NEW} VALUES (%s, %s, %s, %s)", new)
    return len(new)


def _utc(value):
    """SQLite's RETURNING gives naive UTC datetimes: make them aware again."""
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def _update_rollup(cursor):
    """Fold the new rows into the per-minute rollup: one INSERT ... SELECT ... GROUP BY upsert."""
    greatest, least = _greatest()
    minute = ("date_trunc('minute', recorded_at)" if connection.vendor == "postgresql"
              else "strftime('%%Y-%%m-%%d %%H:%%M:00', recorded_at)")
    cursor.execute(
        "INSERT INTO monitoring_minuterollup (patient_id, minute, count, bpm_sum, bpm_min, bpm_max) "
        f"SELECT patient_id, {minute} AS m, COUNT(*), SUM(bpm), MIN(bpm), MAX(bpm) FROM {_NEW} WHERE true "
        "GROUP BY patient_id, m ORDER BY patient_id, m "
        "ON CONFLICT (patient_id, minute) DO UPDATE SET "
        "count = monitoring_minuterollup.count + excluded.count, "
        "bpm_sum = monitoring_minuterollup.bpm_sum + excluded.bpm_sum, "
        f"bpm_min = {least}(monitoring_minuterollup.bpm_min, excluded.bpm_min), "
        f"bpm_max = {greatest}(monitoring_minuterollup.bpm_max, excluded.bpm_max)",
        [],
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


def _update_alerts(cursor):
    """Open or update one live alert per (patient, kind) for the breaches among the new rows:
    one upsert against the partial unique index, so concurrent batches never open two."""
    cursor.execute(
        f"SELECT n.patient_id, n.device_id, n.bpm, n.recorded_at, p.hr_low, p.hr_high FROM {_NEW} n "
        "JOIN clinical_patient p ON p.id = n.patient_id WHERE n.bpm > p.hr_high OR n.bpm < p.hr_low "
        "ORDER BY n.recorded_at"
    )
    groups = {}
    for patient, device, bpm, recorded_at, hr_low, hr_high in cursor.fetchall():
        kind, severity = breach_of(bpm, hr_low, hr_high)
        group = groups.get((patient, kind))
        if group is None:
            groups[(patient, kind)] = group = {
                "device": device, "severity": severity, "first": bpm, "last": bpm, "peak": bpm,
                "count": 0, "opened_at": recorded_at, "last_at": recorded_at,
            }
        group["count"] += 1
        group["device"], group["last"], group["last_at"] = device, bpm, recorded_at
        group["peak"] = max(group["peak"], bpm) if kind == AlertKind.TACHYCARDIA else min(group["peak"], bpm)
        if severity == AlertSeverity.CRITICAL:
            group["severity"] = AlertSeverity.CRITICAL
    if not groups:
        return
    greatest, least = _greatest()
    # The timestamps go back in the form the database gave them (aware datetimes, or SQLite's text).
    values = [
        (patient, g["device"], kind.value, g["severity"].value, AlertStatus.OPEN.value, g["first"], g["last"],
         g["peak"], g["count"], g["opened_at"], g["last_at"], "")
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


def readings_ingest(batch):
    """Store a validated batch once: new readings, their rollup and their alerts, in one transaction.
    The same nine statements whatever the batch size."""
    with transaction.atomic(), connection.cursor() as cursor:
        created = _store_new(cursor, batch.readings)
        if created:
            _update_rollup(cursor)
            _update_alerts(cursor)
        cursor.execute(f"DROP TABLE {_STAGE}")
        cursor.execute(f"DROP TABLE {_NEW}")
    return IngestResult(batch.received, created, batch.received - created)


# --- alert decisions ---------------------------------------------------------------------------

def _alert_transition(alert, action):
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status not in ALERT_TRANSITIONS[action]:
        raise Conflict(f"This alert is {alert.status}; it cannot be {action}d.", code=errors.INVALID_TRANSITION)
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
    """A new ingest key for a monitor; the raw key is returned once and only its hash is kept."""
    if device.category != DeviceCategory.MONITOR:
        raise DomainError(f"Device {device.asset_number} is not a monitor: only monitors post readings.",
                          code=errors.NOT_A_MONITOR, errors={"device": ["Only monitors get ingest keys."]})
    raw, prefix, key_hash = DeviceApiKey.generate()
    key = DeviceApiKey.objects.create(device=device, name=name, prefix=prefix, key_hash=key_hash, created_by=by)
    return key, raw


def api_keys_revoke(*, keys):
    """Revoke keys (idempotent: an already revoked key keeps its first revocation time)."""
    return keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
