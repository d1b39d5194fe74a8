"""The alert rules applied at ingest: monitoring/rules.py decides, this reads and writes in bulk.

apply_alert_rules(cursor, new) runs inside readings_ingest's transaction, on the batch's new rows
(monitoring/ingest_store.py: the rows a small batch's INSERT returned, or the large path's temporary
table): it locks the batch's patients, reads the alerts that can change and
the readings around the batch, re-decides the episodes, then writes the opens, updates and resolves
in at most three statements (and at most two INSERTs of their audit entries, only when an alert's
state changed: monitoring/alert_audit.py) and publishes one alert event per changed alert (after commit). Also
here: the notes the ingest writes on alerts, the rules' settings (rule_config), and the alert events
(alert_event_data, publish_alert) that acknowledge and resolve publish too."""
# ruff: noqa: S608  (hand-written SQL: identifiers are constants, values are bound)

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.events import publish
from monitoring import alert_audit, rules
from monitoring.choices import LIVE_ALERT_STATUSES, AlertKind, AlertSeverity, AlertStatus
from monitoring.ingest_store import NewRows, as_utc, from_micros, readings_window, to_micros
from monitoring.models import Alert


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


def apply_alert_rules(cursor, new=None):
    """Open, update and resolve the alerts of the patients in the new rows (`new`: the rows a small
    batch's INSERT returned; None: the large path's temporary table), by the rules of
    monitoring/rules.py, in a fixed number of statements whatever the batch size:
    lock the patients, summarise the new rows, read the alerts that can change, read the readings
    around the batch (a second read only for late readings that re-decide an older episode), then at
    most two bulk UPDATEs and one multi-row INSERT."""
    config = rule_config()
    lookback = config.lookback_seconds * 1_000_000  # the rules' clock: epoch microseconds
    adapt = connection.ops.adapt_datetimefield_value
    lock = " FOR NO KEY UPDATE" if connection.vendor == "postgresql" else ""
    rows = NewRows(new)
    # One writer at a time per patient: a second batch for the same patient waits here and then reads
    # the first one's readings and alerts (READ COMMITTED: each statement sees what is committed).
    cursor.execute(f"SELECT id, hr_low, hr_high FROM clinical_patient WHERE id IN ({rows.patients}) "
                   f"ORDER BY id{lock}", rows.params)
    bands = {patient: (low, high) for patient, low, high in cursor.fetchall()}
    summary = rows.summary(cursor, bands)
    earliest = min(first for first, _count, _breaches in summary.values())
    cursor.execute(
        f"SELECT {_ALERT_COLUMNS} FROM monitoring_alert WHERE patient_id IN ({rows.patients}) "
        f"AND kind IN ('{_RULED_KINDS[0]}', '{_RULED_KINDS[1]}') AND (status IN ({_live_statuses_sql()}) "
        "OR (status = 'resolved' AND resolved_by_id IS NULL AND note LIKE %s AND resolved_at >= %s) "
        "OR (resolved_by_id IS NOT NULL AND last_breach_at >= %s))",
        [*rows.params, f"%{AUTO_RESOLVED_MARK}%", adapt(from_micros(earliest)),
         adapt(from_micros(earliest - lookback))],
    )
    stored, fences = {}, {}
    for (pk, patient, kind, severity, status, first, last, peak, count, opened_at, last_at, resolved_at, device,
         suspect, acknowledged_at, _level, resolved_by) in cursor.fetchall():
        last_at = to_micros(last_at)
        if resolved_by is not None:  # resolved by a user: final; its readings stay its own (a fence)
            kinds = fences.setdefault(patient, {})
            kinds[kind] = max(kinds.get(kind, last_at), last_at)
            continue
        resolved_at = to_micros(resolved_at)
        if resolved_at is not None and resolved_at < summary[patient][0]:
            continue
        episode = rules.Episode(kind=kind, opened_at=to_micros(opened_at), first_value=first, last_value=last,
                                peak_value=peak, breach_count=count, severity=severity, device_id=device,
                                device_suspect=bool(suspect), last_breach_at=last_at, resolved_at=resolved_at, key=pk)
        stored.setdefault(patient, []).append(_Stored(episode, status, acknowledged_at is not None))

    # Nothing can change for a patient without a live (or re-decidable) alert and without a new breach.
    interesting = [patient for patient, (_t, _n, breaches) in summary.items() if breaches or patient in stored]
    if not interesting:
        return
    until = to_micros(timezone.now() + _FAR_FUTURE)
    around, later_counts = readings_window(cursor, {p: (summary[p][0] - lookback, until) for p in interesting},
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
    for patient, extra in readings_window(cursor, older, config=config)[0].items():
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
            episode.breach_count, from_micros(episode.opened_at), from_micros(episode.last_breach_at),
            from_micros(episode.resolved_at), episode.device_id, episode.device_suspect, note)


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
    resolved, kept, events, audited = [], [], [], []
    now = timezone.now()
    for patient, old, episode in updates:
        before = old.episode
        if episode is None:  # the stream no longer holds this breach: withdrawn, kept for the record
            values = (before.severity, AlertStatus.RESOLVED.value, before.first_value, before.last_value,
                      before.peak_value, before.breach_count, from_micros(before.opened_at),
                      from_micros(before.last_breach_at), now,
                      before.device_id, before.device_suspect, WITHDRAWN_NOTE)
            resolved.append((before.key, values))
            audited.append((before.key, patient, _values_of(before, old.status, config), values))
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
        audited.append((before.key, patient, previous, values))
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
    alert_audit.record_updates(audited)  # no statement unless an audited field changed
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
        ids = {(patient, kind, as_utc(opened_at)): pk for pk, patient, kind, opened_at in cursor.fetchall()}
        alert_audit.record_opened((ids[(patient, kind, values[6])], patient, kind, values)
                                  for patient, kind, values in rows)
        for patient, kind, values in rows:
            pk = ids[(patient, kind, values[6])]
            events.append(("alert.opened", pk, patient, kind, values, {}))
            if values[1] == AlertStatus.RESOLVED:
                events.append(("alert.resolved", pk, patient, kind, values, {}))
    for event_type, pk, patient, kind, values, extra in events:
        _event(event_type, pk, patient, kind, values, **extra)

def alert_event_data(alert, **extra):
    """What an alert event carries: ids and states, never the note (clinical free text)."""
    return {"id": alert.pk, "patient": alert.patient_id, "kind": alert.kind, "severity": alert.severity,
            "status": alert.status, "peak_value": alert.peak_value, "device_suspect": alert.device_suspect, **extra}


def publish_alert(event_type, alert, **extra):
    """alert.opened / alert.updated / alert.resolved about `alert`, sent after commit."""
    publish(event_type, alert_event_data(alert, **extra), instance=alert)
