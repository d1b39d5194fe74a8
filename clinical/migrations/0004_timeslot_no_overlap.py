"""One doctor's time slots never overlap: a GiST exclusion constraint over [start, end) on PostgreSQL.

SQLite has no exclusion constraints; there `timeslot_create` checks for overlaps in code, under a
lock on the doctor's profile row. This migration is a no-op on any other database.
"""

from django.db import migrations

CONSTRAINT = "clinical_timeslot_no_overlap"


def add_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE clinical_timeslot ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist ("
        "doctor_id WITH =, tsrange(date + start_time, date + end_time, '[)') WITH &&)"
    )


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE clinical_timeslot DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):

    dependencies = [
        ("clinical", "0003_scheduling_and_consultations"),
    ]

    operations = [
        migrations.RunPython(add_exclusion, drop_exclusion),
    ]
