"""The ingest's SQL on the readings tables, in two paths with the same outcome:
- a small batch (services.SMALL_BATCH_MAX readings or fewer, e.g. one reading per request): one
  statement, INSERT ... VALUES ... ON CONFLICT DO NOTHING RETURNING with the suspect flag decided per
  device and the per-minute rollup in a data-modifying CTE (on SQLite the rollup is a second
  statement); the new rows come back to Python for the alert rules (store_small);
- a large batch: staged in a temporary table (COPY on PostgreSQL), inserted once with ON CONFLICT DO
  NOTHING, the new rows kept in a second temporary table, folded into the rollup (store_new,
  update_rollup, drop_temp_tables).
Also the read of the stored readings around a batch that the alert rules re-decide
(monitoring/alerting.py), and the clock conversions the rules use at ingest (epoch microseconds).
monitoring.services.readings_ingest runs these in one transaction; docs/monitoring.md, "How ingest
works"."""
# ruff: noqa: S608  (hand-written SQL: identifiers are constants, values are bound)

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone

from monitoring import rules


def _greatest():
    return ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")


# --- storing readings --------------------------------------------------------------------------

STAGE = "ingest_stage"  # the batch as posted
NEW = "ingest_new"  # the rows of the batch that were not stored before


def _insert_new(source):
    """INSERT ... SELECT of the rows of `source` (a table or a CTE) that are new, RETURNING them.
    A reading is suspect when its monitor is not `active`, is overdue for calibration, or has an
    open corrective work order: decided once per device of the batch, inside the one statement."""
    suspect_devices = (
        "SELECT d.id, (d.status <> 'active' OR (d.next_calibration_due IS NOT NULL AND d.next_calibration_due < %s) "
        "OR EXISTS (SELECT 1 FROM workorders_workorder w WHERE w.device_id = d.id AND w.work_type = 'CM' "
        f"AND w.status <> 'closed')) AS suspect FROM devices_device d WHERE d.id IN (SELECT device_id FROM {source})"
    )
    return (
        "INSERT INTO monitoring_reading (device_id, patient_id, bpm, recorded_at, device_suspect) "
        f"SELECT s.device_id, s.patient_id, s.bpm, s.recorded_at, ds.suspect FROM {source} s "
        f"JOIN ({suspect_devices}) ds ON ds.id = s.device_id WHERE true ORDER BY s.device_id, s.recorded_at "
        "ON CONFLICT (device_id, recorded_at) DO NOTHING RETURNING device_id, patient_id, bpm, recorded_at, "
        "device_suspect"
    )


_INSERTNEW = _insert_new(STAGE)


def _rollup(source):
    """The upsert of the per-minute rollup from the new rows in `source` (a table or a CTE)."""
    greatest, least = _greatest()
    minute = ("date_trunc('minute', recorded_at)" if connection.vendor == "postgresql"
              else "strftime('%%Y-%%m-%%d %%H:%%M:00', recorded_at)")
    return (
        "INSERT INTO monitoring_minuterollup (patient_id, minute, count, bpm_sum, bpm_min, bpm_max) "
        f"SELECT patient_id, {minute} AS m, COUNT(*), SUM(bpm), MIN(bpm), MAX(bpm) FROM {source} WHERE true "
        "GROUP BY patient_id, m ORDER BY patient_id, m "
        "ON CONFLICT (patient_id, minute) DO UPDATE SET "
        "count = monitoring_minuterollup.count + excluded.count, "
        "bpm_sum = monitoring_minuterollup.bpm_sum + excluded.bpm_sum, "
        f"bpm_min = {least}(monitoring_minuterollup.bpm_min, excluded.bpm_min), "
        f"bpm_max = {greatest}(monitoring_minuterollup.bpm_max, excluded.bpm_max)"
    )


def store_small(cursor, readings):
    """Insert a small batch without temporary tables: the readings as VALUES, ON CONFLICT DO NOTHING,
    the rollup of the new rows in the same statement (PostgreSQL; a second one on SQLite). Answers
    the new rows as (device_id, patient_id, bpm, recorded_at, device_suspect), for the alert rules."""
    if not readings:
        return []
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    adapt = connection.ops.adapt_datetimefield_value
    values = [value for r in readings for value in (r.device_id, r.patient_id, r.bpm, adapt(r.recorded_at))]
    if connection.vendor == "postgresql":
        rows = ", ".join(["(%s::bigint, %s::bigint, %s::smallint, %s::timestamptz)"] * len(readings))
        cursor.execute(f"WITH v(device_id, patient_id, bpm, recorded_at) AS (VALUES {rows}), "
                       f"inserted AS ({_insert_new('v')}), rolled AS ({_rollup('inserted')}) SELECT * FROM inserted",
                       [*values, today])
        return cursor.fetchall()
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(readings))
    cursor.execute(f"WITH v(device_id, patient_id, bpm, recorded_at) AS (VALUES {rows}) {_insert_new('v')}",
                   [*values, today])
    new = [(d, p, bpm, as_utc(at), bool(suspect)) for d, p, bpm, at, suspect in cursor.fetchall()]
    if new:
        rows = ", ".join(["(%s, %s, %s)"] * len(new))
        cursor.execute(f"WITH n(patient_id, bpm, recorded_at) AS (VALUES {rows}) {_rollup('n')}",
                       [value for _d, p, bpm, at, _s in new for value in (p, bpm, adapt(at))])
    return new


def store_new(cursor, readings):
    """Stage the batch in a temporary table (COPY on PostgreSQL), insert it with ON CONFLICT DO
    NOTHING, and keep the rows that were new in a second temporary table. Answers their count."""
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    if connection.vendor == "postgresql":
        cursor.execute(f"CREATE TEMP TABLE {STAGE} (device_id bigint, patient_id bigint, bpm smallint, "
                       "recorded_at timestamptz)")
        cursor.execute(f"CREATE TEMP TABLE {NEW} (device_id bigint, patient_id bigint, bpm smallint, "
                       "recorded_at timestamptz, device_suspect boolean)")
        with cursor.cursor.copy(f"COPY {STAGE} (device_id, patient_id, bpm, recorded_at) FROM STDIN") as copy:
            for r in readings:
                copy.write_row((r.device_id, r.patient_id, r.bpm, r.recorded_at))
        # A data-modifying CTE: the new rows never travel back to Python.
        cursor.execute(f"WITH inserted AS ({_INSERTNEW}) INSERT INTO {NEW} SELECT * FROM inserted", [today])
        return cursor.rowcount
    # SQLite (development): no COPY and no INSERT in a CTE, so the new rows pass through Python.
    adapt = connection.ops.adapt_datetimefield_value
    cursor.execute(f"CREATE TEMP TABLE {STAGE} (device_id integer, patient_id integer, bpm integer, "
                   "recorded_at text)")
    cursor.execute(f"CREATE TEMP TABLE {NEW} (device_id integer, patient_id integer, bpm integer, "
                   "recorded_at text, device_suspect integer)")
    cursor.executemany(f"INSERT INTO {STAGE} VALUES (%s, %s, %s, %s)",
                       [(r.device_id, r.patient_id, r.bpm, adapt(r.recorded_at)) for r in readings])
    cursor.execute(_INSERTNEW, [today])
    new = [(device, patient, bpm, adapt(as_utc(moment)), suspect)
           for device, patient, bpm, moment, suspect in cursor.fetchall()]
    cursor.executemany(f"INSERT INTO {NEW} VALUES (%s, %s, %s, %s, %s)", new)
    return len(new)


def as_utc(value):
    """SQLite gives naive UTC datetimes (or text from a temporary table): make them aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def update_rollup(cursor):
    """Fold the new rows into the per-minute rollup: one INSERT ... SELECT ... GROUP BY upsert."""
    cursor.execute(_rollup(NEW), [])


def drop_temp_tables(cursor):
    """Drop the two temporary tables of the batch (same transaction, same connection)."""
    cursor.execute(f"DROP TABLE {STAGE}")
    cursor.execute(f"DROP TABLE {NEW}")


class NewRows:
    """The batch's new rows as the alert rules read them: `patients` (SQL for their patient ids, with
    `params`) and summary(cursor, bands) = {patient: (first recorded_at in epoch µs, count, breaches)}.
    From the rows store_small returned (no statement for the summary), or from the temporary table."""

    def __init__(self, new):
        self.new = new
        if new is None:
            self.patients, self.params = f"SELECT patient_id FROM {NEW}", []
        else:
            self.params = sorted({patient for _d, patient, _bpm, _at, _s in new})
            self.patients = ", ".join(["%s"] * len(self.params))

    def summary(self, cursor, bands):
        if self.new is None:
            cursor.execute(f"SELECT n.patient_id, MIN(n.recorded_at), COUNT(*), "
                           "SUM(CASE WHEN n.bpm > p.hr_high OR n.bpm < p.hr_low THEN 1 ELSE 0 END) "
                           f"FROM {NEW} n JOIN clinical_patient p ON p.id = n.patient_id GROUP BY n.patient_id")
            return {patient: (to_micros(first), count, breaches or 0)
                    for patient, first, count, breaches in cursor.fetchall()}
        found = {}
        for _device, patient, bpm, at, _suspect in self.new:
            low, high = bands[patient]
            first, count, breaches = found.get(patient, (None, 0, 0))
            at = to_micros(at)
            found[patient] = (at if first is None else min(first, at), count + 1, breaches + (not low <= bpm <= high))
        return found


# --- the readings around a batch, for the alert rules ------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment):
    """Epoch microseconds of a datetime (the rules' clock at ingest); None stays None."""
    return None if moment is None else (as_utc(moment) - EPOCH) // timedelta(microseconds=1)


def from_micros(micros):
    return None if micros is None else EPOCH + timedelta(microseconds=micros)


def readings_window(cursor, ranges, *, config, since=None):
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
              for value in (patient, adapt(from_micros(start)), adapt(from_micros(end)),
                            adapt(from_micros(since.get(patient, start))))]
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
            found.setdefault(patient, []).append(sample(to_micros(at), bpm, device, bool(suspect)))
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
