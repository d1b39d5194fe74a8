"""Heart-rate history reads: time buckets computed in the database.

Windows up to a day are computed from raw readings (exact edges); longer windows from the
per-minute rollup maintained at ingest (edges rounded to whole minutes), so a week of hourly
buckets reads ~10,000 rollup rows instead of ~600,000 readings.
"""

from datetime import UTC, datetime, timedelta

from django.db import connection, connections

from core.db_router import read_alias

RAW_WINDOW_LIMIT = timedelta(days=1)

_SOURCES = {
    # table, time column, min, max, sum, count
    "raw": ("monitoring_reading", "recorded_at", "MIN(bpm)", "MAX(bpm)", "SUM(bpm)", "COUNT(*)"),
    "rollup": ("monitoring_minuterollup", "minute", "MIN(bpm_min)", "MAX(bpm_max)", "SUM(bpm_sum)", "SUM(count)"),
}


def _bucket_expression(column, seconds):
    if connection.vendor == "postgresql":
        return f"date_bin(interval '{seconds} seconds', {column}, TIMESTAMPTZ '2000-01-01 00:00:00+00')"
    return f"(CAST(strftime('%%s', {column}) AS INTEGER) / {seconds}) * {seconds}"


def _as_datetime(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromtimestamp(int(value), tz=UTC)


def heart_rate_buckets(*, patient_id, start, end, seconds):
    """[{start, min, max, avg, count, suspect_count}] per bucket of `seconds`, oldest first, for
    start <= t < end. `suspect_count` counts the readings from a suspect monitor: in the same pass for
    raw windows; for rollup windows from the raw suspect readings only, which a partial index
    (monitoring migration 0005) keeps to a short index scan."""
    source = "raw" if end - start <= RAW_WINDOW_LIMIT else "rollup"
    table, column, low, high, total, count = _SOURCES[source]
    bucket = _bucket_expression(column, seconds)
    adapt = connection.ops.adapt_datetimefield_value
    suspect = "SUM(CASE WHEN device_suspect THEN 1 ELSE 0 END)" if source == "raw" else "0"
    sql = (
        f"SELECT {bucket} AS bucket, {low}, {high}, {total}, {count}, {suspect} FROM {table} "
        f"WHERE patient_id = %s AND {column} >= %s AND {column} < %s GROUP BY bucket ORDER BY bucket"
    )
    params = [patient_id, adapt(start), adapt(end)]
    with connections[read_alias()].cursor() as cursor:  # the replica inside its context (history view)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        suspects = {}
        if source == "rollup":
            raw_bucket = _bucket_expression("recorded_at", seconds)
            cursor.execute(f"SELECT {raw_bucket} AS bucket, COUNT(*) FROM monitoring_reading WHERE patient_id = %s "
                           "AND recorded_at >= %s AND recorded_at < %s AND device_suspect GROUP BY bucket", params)
            suspects = {_as_datetime(when): n for when, n in cursor.fetchall()}
    return source, [
        {"start": _as_datetime(when), "min": low_bpm, "max": high_bpm,
         "avg": round(float(bpm_sum) / n, 1), "count": int(n),
         "suspect_count": int(suspects.get(_as_datetime(when), suspect_n) or 0)}
        for when, low_bpm, high_bpm, bpm_sum, n, suspect_n in rows
    ]
