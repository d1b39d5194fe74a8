"""A partial index over the suspect readings only (device_suspect = true): the history's long
(rollup) bucket windows count them from the raw table through it, scanning just those few rows.
Raw SQL because the table is partitioned on PostgreSQL (the index then exists on every partition,
and on the ones `create_reading_partitions` adds later); the model state does not change."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0004_alerting"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reading_suspect_idx ON monitoring_reading (patient_id, recorded_at) "
            "WHERE device_suspect",
            reverse_sql="DROP INDEX IF EXISTS reading_suspect_idx",
        ),
    ]
