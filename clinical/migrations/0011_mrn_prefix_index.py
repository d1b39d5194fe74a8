"""?medical_record_number= is a case-insensitive prefix (`UPPER(col::text) LIKE 'MRN-00%'`): a btree
with text_pattern_ops on the same expression serves it as a range read whatever the database's
collation (Django's own `_like` index is on the bare column, for a case-sensitive LIKE only).
Its statistics are 10 times finer than the default: at 50,000 patients the default histogram
estimated 495 rows for a prefix that has 100, and the planner walked the name index for its ORDER
BY instead, filtering 25,000 rows (100 ms, against 0.2 ms through this index).
PostgreSQL only; on SQLite a no-op."""
from django.db import migrations

from core.migration_ops import PostgresOnlySQL

NAME = "clinical_patient_mrn_prefix"


class Migration(migrations.Migration):
    dependencies = [("clinical", "0010_scale_indexes")]

    operations = [
        PostgresOnlySQL(
            [f'CREATE INDEX "{NAME}" ON "clinical_patient" (UPPER("medical_record_number"::text) text_pattern_ops)',
             f'ALTER INDEX "{NAME}" ALTER COLUMN 1 SET STATISTICS 1000'],
            reverse_sql=f'DROP INDEX IF EXISTS "{NAME}"'),
    ]
