"""Monthly range partitions of the readings table on PostgreSQL.

The migration creates the partitioned table with a DEFAULT partition (so no reading is ever refused
for lack of a partition) and the months around its run; `manage.py create_reading_partitions`
(run it monthly, e.g. from Celery beat or cron) creates months ahead. A month whose rows already
landed in the default partition is moved out of it as it is created.
"""

from datetime import date

from django.db import connection, transaction

PARENT = "monitoring_reading"
DEFAULT_PARTITION = f"{PARENT}_default"


def month_start(day, offset=0):
    index = day.year * 12 + (day.month - 1) + offset
    return date(index // 12, index % 12 + 1, 1)


def partition_name(first_day):
    return f"{PARENT}_y{first_day.year}m{first_day.month:02d}"


def existing_partitions(cursor):
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
        [PARENT],
    )
    return {row[0] for row in cursor.fetchall()}


def ensure_month(cursor, first_day):
    """Create one month's partition (moving any rows of that month out of the default partition)."""
    name = partition_name(first_day)
    lower, upper = first_day.isoformat(), month_start(first_day, 1).isoformat()
    # Names and bounds are generated from dates here, never from input.
    cursor.execute(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
        f"WHERE recorded_at >= '{lower} 00:00+00' AND recorded_at < '{upper} 00:00+00' RETURNING *) "
        f"INSERT INTO {name} SELECT * FROM moved"
    )
    cursor.execute(
        f"ALTER TABLE {PARENT} ATTACH PARTITION {name} "
        f"FOR VALUES FROM ('{lower} 00:00+00') TO ('{upper} 00:00+00')"
    )
    return name


def ensure_partitions(today, months_back=1, months_ahead=3, using=connection):
    """Create the monthly partitions from months_back before today's month to months_ahead after it."""
    if using.vendor != "postgresql":
        return []
    created = []
    with transaction.atomic(using=using.alias), using.cursor() as cursor:
        present = existing_partitions(cursor)
        for offset in range(-months_back, months_ahead + 1):
            first_day = month_start(today, offset)
            if partition_name(first_day) not in present:
                created.append(ensure_month(cursor, first_day))
    return created
