"""Writes with rules: storing readings (idempotent), keeping the rollup and alerts, alert decisions, keys."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.errors import Conflict, DomainError
from core.events import publish
from devices.choices import DeviceCategory
from monitoring import errors, rules
from monitoring.choices import (
    ALERT_TRANSITIONS,
    LIVE_ALERT_STATUSES,
    AlertKind,
    AlertSeverity,
    AlertStatus,
)
from monitoring.models import Alert, DeviceApiKey

# The alert rules always run at ingest; only bench/ingest.py turns this off, to measure their cost.
ALERT_RULES_ENABLED = True


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
# A reading is suspect when its monitor is not `active`, is overdue for calibration, or has an open
# corrective work order: decided once per device of the batch, inside the one INSERT ... SELECT.
_SUSPECT_DEVICES = (
    "SELECT d.id, (d.status <> 'active' OR (d.next_calibration_due IS NOT NULL AND d.next_calibration_due < %s) "
    "OR EXISTS (SELECT 1 FROM workorders_workorder w WHERE w.device_id = d.id AND w.work_type = 'CM' "
    f"AND w.status <> 'closed')) AS suspect FROM devices_device d WHERE d.id IN (SELECT device_id FROM {_STAGE})"
)
_INSERT_NEW = (
    "INSERT INTO monitoring_reading (device_id, patient_id, bpm, recorded_at, device_suspect) "
    f"SELECT s.device_id, s.patient_id, s.bpm, s.recorded_at, ds.suspect FROM {_STAGE} s "
    f"JOIN ({_SUSPECT_DEVICES}) ds ON ds.id = s.device_id WHERE true ORDER BY s.device_id, s.recorded_at "
    "ON CONFLICT (device_id, recorded_at) DO NOTHING RETURNING device_id, patient_id, bpm, recorded_at, device_suspect"
)


def _store_new(cursor, readings):
    """Stage the batch in a temporary table (COPY on PostgreSQL), insert it with ON CONFLICT DO
    NOTHING, and keep the rows that were new in a second temporary table. Answers their count."""
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMP TABLE {_STAGE} (device_id bigint, patient_id bigint, bpm smallint, "
                       "recorded_at timestamptz)")
        cursor.execute(f"CREATE TEMP TABLE {_NEW} (device_id bigint, patient_id bigint, bpm smallint, "
                       "recorded_at timestamptz, device_suspect boolean)")
        with cursor.cursor.copy(f"COPY {_STAGE} (device_id, patient_id, bpm, recorded_at) FROM STDIN") as copy:
            for r in readings:
                copy.write_row((r.device_id, r.patient_id, r.bpm, r.recorded_at))
        # A data-modifying CTE: the new rows never travel back to Python.
        cursor.execute(f"WITH inserted AS ({_INSERT_NEW}) INSERT INTO {_NEW} SELECT * FROM inserted", [today])
        return cursor.rowcount
    # SQLite (development): no COPY and no INSERT in a CTE, so the new rows pass through Python.
    adapt = connection.ops.adapt_datetimefield_value
    cursor.execute(f"CREATE TEMP TABLE {_STAGE} (device_id integer, patient_id integer, bpm integer, "
                   "recorded_at text)")
    cursor.execute(f"CREATE TEMP TABLE {_NEW} (device_id integer, patient_id integer, bpm integer, "
                   "recorded_at text, device_suspect integer)")
    cursor.executemany(f"INSERT INTO {_STAGE} VALUES (%s, %s, %s, %s)",
                       [(r.device_id, r.patient_id, r.bpm, adapt(r.recorded_at)) for r in readings])
    cursor.execute(_INSERT_NEW, [today])
    new = [(device, patient, bpm, adapt(_utc(moment)), suspect)
           for device, patient, bpm, moment, suspect in cursor.fetchall()]
    cursor.executemany(f"INSERT INTO {_NEW} VALUES (%s, %s, %s, %s, %s)", new)
    return len(new)


def _utc(value):
    """SQLite gives naive UTC datetimes (or text from a temporary table): make them aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
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
    kind = rules.classify(bpm, hr_low, hr_high, 0)
    if kind not in rules.KINDS:
        return None
    return AlertKind(kind), AlertSeverity(rules.severity_of(bpm, hr_low, hr_high))


# --- alert rules at ingest (monitoring/rules.py decides; this reads and writes in bulk) ------------

AUTO_RESOLVED_MARK = "Resolved automatically"
WITHDRAWN_MARK = "Withdrawn automatically"
SUSPECT_NOTE = ("Opened from readings of a suspect monitor (open corrective work order, not active, "
                "or calibration overdue).")
WITHDRAWN_NOTE = f"{WITHDRAWN_MARK}: readings received later show the breach was not sustained."
_RULED_KINDS = (AlertKind.TACHYCARDIA.value, AlertKind.BRADYCARDIA.value)
_ALERT_COLUMNS = ("id, patient_id, kind, severity, status, first_value, last_value, peak_value, breach_count, "
                  "opened_at, last_breach_at, resolved_at, device_id, device_suspect, acknowledged_at, "
                  "escalation_level, resolved_by_id")
_FAR_FUTURE = timedelta(hours=1)  # readings are at most a few seconds ahead of the clock


def rule_config():
    return rules.RuleConfig(sustain_seconds=settings.ALERT_SUSTAIN_SECONDS,
                            sustain_readings=settings.ALERT_SUSTAIN_READINGS,
                            margin=settings.ALERT_RECOVERY_MARGIN_BPM, gap_seconds=settings.MONITOR_STALE_SECONDS)


def auto_resolved_note(config=None):
    config = config or rule_config()
    return (f"{AUTO_RESOLVED_MARK}: readings back inside the band by {config.margin} bpm "
            f"for {config.sustain_seconds} s.")


@dataclass
class _Stored:
    """A stored alert the rules may re-decide, with what users did to it."""

    episode: rules.Episode
    status: str
    acknowledged: bool


def _live_statuses_sql():
    return ", ".join(f"'{status.value}'" for status in LIVE_ALERT_STATUSES)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment):
    """Epoch microseconds of a datetime (the rules' clock at ingest); None stays None."""
    return None if moment is None else (_utc(moment) - _EPOCH) // timedelta(microseconds=1)


def _moment(micros):
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def _window(cursor, ranges, *, config, since=None):
    """The stored readings of several patients, each in its own [start, end): one query. Answers
    ({patient: [Sample]}, {patient: readings stored at or after since[patient]}).

    On PostgreSQL the query also leaves out the readings that cannot change anything: a *recovered*
    reading whose previous ALERT_SUSTAIN_READINGS readings are recovered too, within one silence
    limit (its run is already sustained: nothing is live during it, nothing can open in it), so a
    quiet batch of 5,000 readings sends a handful of rows to Python; and times come back as epoch
    microseconds (loading aware datetimes costs more than the rules)."""
    if not ranges:
        return {}, {}
    since = since or {}
    adapt = connection.ops.adapt_datetimefield_value
    params = [value for patient, (start, end) in sorted(ranges.items())
              for value in (patient, adapt(_moment(start)), adapt(_moment(end)),
                            adapt(_moment(since.get(patient, start))))]
    found, later = {}, {}
    sample = rules.Sample
    if connection.vendor != "postgresql":
        cursor.execute(
            "WITH w(patient_id, start_at, end_at, since) AS (VALUES "
            + ", ".join(["(%s, %s, %s, %s)"] * len(ranges)) + ") "
            "SELECT r.patient_id, r.recorded_at, r.device_id, r.bpm, r.device_suspect, r.recorded_at >= w.since "
            "FROM monitoring_reading r JOIN w ON r.patient_id = w.patient_id AND r.recorded_at >= w.start_at "
            "AND r.recorded_at < w.end_at ORDER BY r.patient_id, r.recorded_at, r.device_id",
            params,
        )
        for patient, at, device, bpm, suspect, is_later in cursor.fetchall():
            found.setdefault(patient, []).append(sample(_micros(at), bpm, device, bool(suspect)))
            later[patient] = later.get(patient, 0) + bool(is_later)
        return found, later
    n = config.sustain_readings
    recovered = ("CASE WHEN r.bpm > p.hr_low + %s AND r.bpm < p.hr_high - %s THEN 1 ELSE 0 END")
    lags = " AND ".join(f"LAG(rec, {i}) OVER o = 1" for i in range(1, n + 1))
    cursor.execute(
        "WITH w(patient_id, start_at, end_at, since) AS (VALUES "
        + ", ".join(["(%s::bigint, %s::timestamptz, %s::timestamptz, %s::timestamptz)"] * len(ranges)) + "), "
        f"c AS (SELECT r.patient_id, r.recorded_at, r.device_id, r.bpm, r.device_suspect, w.since, {recovered} AS rec "
        "FROM monitoring_reading r JOIN w ON r.patient_id = w.patient_id AND r.recorded_at >= w.start_at "
        "AND r.recorded_at < w.end_at JOIN clinical_patient p ON p.id = r.patient_id), "
        "x AS (SELECT *, COUNT(*) FILTER (WHERE recorded_at >= since) OVER (PARTITION BY patient_id) AS later, "
        f"(rec = 1 AND {lags} AND recorded_at - LAG(recorded_at, {n}) OVER o <= %s * interval '1 second') AS inert "
        "FROM c WINDOW o AS (PARTITION BY patient_id ORDER BY recorded_at, device_id)) "
        "SELECT patient_id, (EXTRACT(EPOCH FROM recorded_at) * 1000000)::bigint, device_id, bpm, device_suspect, later "
        "FROM x WHERE inert IS NOT TRUE ORDER BY patient_id, recorded_at, device_id",
        [*params, config.margin, config.margin, config.gap_seconds],
    )
    for patient, at, device, bpm, suspect, count in cursor.fetchall():
        found.setdefault(patient, []).append(sample(at, bpm, device, bool(suspect)))
        later[patient] = count
    return found, later


def _overlaps(a, b):
    far = float("inf")
    return a.opened_at <= (b.resolved_at or far) and b.opened_at <= (a.resolved_at or far)


def _match(episodes, stored):
    """Pair re-decided episodes with the stored alerts they continue (same kind, overlapping time)."""
    free = sorted(stored, key=lambda s: s.episode.opened_at)
    pairs = []
    for episode in episodes:
        hit = next((s for s in free if s.episode.kind == episode.kind and _overlaps(s.episode, episode)), None)
        if hit is not None:
            free.remove(hit)
            episode.key = hit.episode.key
        pairs.append((hit, episode))
    return pairs, free


def _apply_alert_rules(cursor):
    """Open, update and resolve the alerts of the patients in the new rows, by the rules of
    monitoring/rules.py, in a fixed number of statements whatever the batch size:
    lock the patients, summarise the new rows, read the alerts that can change, read the readings
    around the batch (a second read only for late readings that re-decide an older episode), then at
    most two bulk UPDATEs and one multi-row INSERT."""
    config = rule_config()
    lookback = config.lookback_seconds * 1_000_000  # the rules' clock: epoch microseconds
    adapt = connection.ops.adapt_datetimefield_value
    lock = " FOR NO KEY UPDATE" if connection.vendor == "postgresql" else ""
    # One writer at a time per patient: a second batch for the same patient waits here and then reads
    # the first one's readings and alerts (READ COMMITTED: each statement sees what is committed).
    cursor.execute(f"SELECT id, hr_low, hr_high FROM clinical_patient WHERE id IN (SELECT patient_id FROM {_NEW}) "
                   f"ORDER BY id{lock}")
    bands = {patient: (low, high) for patient, low, high in cursor.fetchall()}
    cursor.execute(f"SELECT n.patient_id, MIN(n.recorded_at), COUNT(*), "
                   "SUM(CASE WHEN n.bpm > p.hr_high OR n.bpm < p.hr_low THEN 1 ELSE 0 END) "
                   f"FROM {_NEW} n JOIN clinical_patient p ON p.id = n.patient_id GROUP BY n.patient_id")
    summary = {patient: (_micros(first), count, breaches or 0) for patient, first, count, breaches in cursor.fetchall()}
    earliest = min(first for first, _count, _breaches in summary.values())
    cursor.execute(
        f"SELECT {_ALERT_COLUMNS} FROM monitoring_alert WHERE patient_id IN (SELECT patient_id FROM {_NEW}) "
        f"AND kind IN ('{_RULED_KINDS[0]}', '{_RULED_KINDS[1]}') AND (status IN ({_live_statuses_sql()}) "
        "OR (status = 'resolved' AND resolved_by_id IS NULL AND note LIKE %s AND resolved_at >= %s) "
        "OR (resolved_by_id IS NOT NULL AND last_breach_at >= %s))",
        [f"%{AUTO_RESOLVED_MARK}%", adapt(_moment(earliest)), adapt(_moment(earliest - lookback))],
    )
    stored, fences = {}, {}
    for (pk, patient, kind, severity, status, first, last, peak, count, opened_at, last_at, resolved_at, device,
         suspect, acknowledged_at, _level, resolved_by) in cursor.fetchall():
        last_at = _micros(last_at)
        if resolved_by is not None:  # resolved by a user: final; its readings stay its own (a fence)
            kinds = fences.setdefault(patient, {})
            kinds[kind] = max(kinds.get(kind, last_at), last_at)
            continue
        resolved_at = _micros(resolved_at)
        if resolved_at is not None and resolved_at < summary[patient][0]:
            continue
        episode = rules.Episode(kind=kind, opened_at=_micros(opened_at), first_value=first, last_value=last,
                                peak_value=peak, breach_count=count, severity=severity, device_id=device,
                                device_suspect=bool(suspect), last_breach_at=last_at, resolved_at=resolved_at, key=pk)
        stored.setdefault(patient, []).append(_Stored(episode, status, acknowledged_at is not None))

    # Nothing can change for a patient without a live (or re-decidable) alert and without a new breach.
    interesting = [patient for patient, (_t, _n, breaches) in summary.items() if breaches or patient in stored]
    if not interesting:
        return
    until = _micros(timezone.now() + _FAR_FUTURE)
    around, later_counts = _window(cursor, {p: (summary[p][0] - lookback, until) for p in interesting},
                                   config=config, since={p: summary[p][0] for p in interesting})
    plans, older = {}, {}
    for patient in interesting:
        first_new, count, _breaches = summary[patient]
        samples = around.get(patient, [])
        if later_counts.get(patient, 0) == count:  # in order: every stored reading from the batch's first on is new
            plans[patient] = (None, samples)
        else:  # late readings: re-decide from the first episode they touch
            start = min([first_new] + [s.episode.opened_at for s in stored.get(patient, ())
                                       if s.episode.opened_at < first_new])
            plans[patient] = (start, samples)
            if start < first_new:
                older[patient] = (start - lookback, first_new - lookback)
    for patient, extra in _window(cursor, older, config=config)[0].items():
        start, samples = plans[patient]
        plans[patient] = (start, extra + samples)

    inserts, updates = [], []
    for patient, (start, samples) in plans.items():
        hr_low, hr_high = bands[patient]
        mine = stored.get(patient, [])
        if start is None:
            first_new = summary[patient][0]
            live = [s for s in mine if s.status in LIVE_ALERT_STATUSES]
            result = rules.evaluate([s for s in samples if s.at >= first_new], hr_low=hr_low, hr_high=hr_high,
                                    config=config, live=[s.episode for s in live],
                                    context=[s for s in samples if s.at < first_new], fences=fences.get(patient))
            by_key = {s.episode.key: s for s in live}
            pairs, withdrawn = [(by_key.get(e.key), e) for e in result.episodes], []
        else:
            result = rules.evaluate([s for s in samples if s.at >= start], hr_low=hr_low, hr_high=hr_high,
                                    config=config, context=[s for s in samples if s.at < start],
                                    fences=fences.get(patient))
            pairs, withdrawn = _match(result.episodes, mine)
        for old, episode in pairs:
            if old is None:
                inserts.append((patient, episode))
            else:
                updates.append((patient, old, episode))
        for old in withdrawn:
            updates.append((patient, old, None))
    _write_alerts(cursor, config, inserts, updates)


def _values_of(episode, status, config):
    note = " ".join(
        ([SUSPECT_NOTE] if episode.device_suspect else [])
        + ([auto_resolved_note(config)] if episode.resolved_at is not None else []))
    return (episode.severity, status, episode.first_value, episode.last_value, episode.peak_value,
            episode.breach_count, _moment(episode.opened_at), _moment(episode.last_breach_at),
            _moment(episode.resolved_at), episode.device_id, episode.device_suspect, note)


def _event(event_type, pk, patient, kind, values, **extra):
    alert = Alert(pk=pk, patient_id=patient, kind=kind, severity=values[0], status=values[1], peak_value=values[4],
                  device_suspect=values[10])
    publish_alert(event_type, alert, **extra)


def _write_alerts(cursor, config, inserts, updates):
    """At most three statements: the UPDATE of alerts that stop being live (so the partial unique
    index never sees two live ones), the UPDATE of the others, one multi-row INSERT. Then one event
    per alert that changed (published after commit)."""
    adapt = connection.ops.adapt_datetimefield_value
    pg = connection.vendor == "postgresql"
    resolved, kept, events = [], [], []
    now = timezone.now()
    for patient, old, episode in updates:
        before = old.episode
        if episode is None:  # the stream no longer holds this breach: withdrawn, kept for the record
            values = (before.severity, AlertStatus.RESOLVED.value, before.first_value, before.last_value,
                      before.peak_value, before.breach_count, _moment(before.opened_at),
                      _moment(before.last_breach_at), now,
                      before.device_id, before.device_suspect, WITHDRAWN_NOTE)
            resolved.append((before.key, values))
            if old.status in LIVE_ALERT_STATUSES:
                events.append(("alert.resolved", before.key, patient, before.kind, values, {"withdrawn": True}))
            continue
        live_status = AlertStatus.ACKNOWLEDGED.value if old.acknowledged else AlertStatus.OPEN.value
        status = AlertStatus.RESOLVED.value if episode.resolved_at is not None else live_status
        values = _values_of(episode, status, config)
        previous = _values_of(before, old.status, config)
        if values == previous:
            continue
        (resolved if status == AlertStatus.RESOLVED else kept).append((before.key, values))
        was_live = old.status in LIVE_ALERT_STATUSES
        if was_live and status == AlertStatus.RESOLVED:
            events.append(("alert.resolved", before.key, patient, episode.kind, values, {}))
        elif not was_live and status != AlertStatus.RESOLVED:
            events.append(("alert.updated", before.key, patient, episode.kind, values, {"reopened": True}))
        elif was_live and (values[0], values[4]) != (previous[0], previous[4]):
            events.append(("alert.updated", before.key, patient, episode.kind, values, {}))

    columns = ("severity", "status", "first_value", "last_value", "peak_value", "breach_count", "opened_at",
               "last_breach_at", "resolved_at", "device_id", "device_suspect", "note")
    casts = ("text", "text", "int", "int", "int", "int", "timestamptz", "timestamptz", "timestamptz", "bigint",
             "boolean", "text")
    row = ("(%s::bigint, " + ", ".join(f"%s::{cast}" for cast in casts) + ")" if pg
           else "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")")

    def params(values):
        return [adapt(v) if isinstance(v, datetime) else v for v in values]

    for group in (resolved, kept):
        if group:
            cursor.execute(
                f"WITH v(id, {', '.join(columns)}) AS (VALUES {', '.join([row] * len(group))}) "
                f"UPDATE monitoring_alert SET {', '.join(f'{c} = v.{c}' for c in columns)} "
                "FROM v WHERE monitoring_alert.id = v.id",
                [p for pk, values in group for p in [pk, *params(values)]],
            )
    if inserts:
        rows = [(patient, episode.kind, _values_of(
            episode, AlertStatus.RESOLVED.value if episode.resolved_at else AlertStatus.OPEN.value, config))
            for patient, episode in inserts]
        insert_row = ("(%s::bigint, %s::text, " + ", ".join(f"%s::{cast}" for cast in casts) + ")" if pg
                      else "(" + ", ".join(["%s"] * (len(columns) + 2)) + ")")
        cursor.execute(
            f"INSERT INTO monitoring_alert (patient_id, kind, {', '.join(columns)}) VALUES "
            + ", ".join([insert_row] * len(rows)) + " RETURNING id, patient_id, kind, opened_at",
            [p for patient, kind, values in rows for p in [patient, kind, *params(values)]],
        )
        ids = {(patient, kind, _utc(opened_at)): pk for pk, patient, kind, opened_at in cursor.fetchall()}
        for patient, kind, values in rows:
            pk = ids[(patient, kind, values[6])]
            events.append(("alert.opened", pk, patient, kind, values, {}))
            if values[1] == AlertStatus.RESOLVED:
                events.append(("alert.resolved", pk, patient, kind, values, {}))
    for event_type, pk, patient, kind, values, extra in events:
        _event(event_type, pk, patient, kind, values, **extra)


def readings_ingest(batch):
    """Store a validated batch once: new readings, their rollup and their alerts, in one transaction.
    A fixed number of statements whatever the batch size (see docs/monitoring.md)."""
    with transaction.atomic(), connection.cursor() as cursor:
        created = _store_new(cursor, batch.readings)
        if created:
            _update_rollup(cursor)
            if ALERT_RULES_ENABLED:
                _apply_alert_rules(cursor)
        cursor.execute(f"DROP TABLE {_STAGE}")
        cursor.execute(f"DROP TABLE {_NEW}")
    return IngestResult(batch.received, created, batch.received - created)


# --- alert decisions ---------------------------------------------------------------------------

def alert_event_data(alert, **extra):
    """What an alert event carries: ids and states, never the note (clinical free text)."""
    return {"id": alert.pk, "patient": alert.patient_id, "kind": alert.kind, "severity": alert.severity,
            "status": alert.status, "peak_value": alert.peak_value, "device_suspect": alert.device_suspect, **extra}


def publish_alert(event_type, alert, **extra):
    """alert.opened / alert.updated / alert.resolved about `alert`, sent after commit."""
    publish(event_type, alert_event_data(alert, **extra), instance=alert)


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
    publish_alert("alert.updated", alert)
    return alert


@transaction.atomic
def alert_resolve(*, alert, by, note=""):
    alert = _alert_transition(alert, "resolve")
    alert.status, alert.resolved_by, alert.resolved_at = AlertStatus.RESOLVED, by, timezone.now()
    alert.note = note or alert.note
    alert.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
    publish_alert("alert.resolved", alert)
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
