"""?search= on /appointments/: a trigram GIN index on UPPER(reason), the appointment's own arm of the
BitmapOr that clinical.filters.PatientFieldsSearchFilter asks for (the patient's arm uses the
patients' trigram indexes of 0010). PostgreSQL only; on SQLite a no-op."""
from django.db import migrations

from core.migration_ops import PostgresOnlySQL

NAME = "clinical_appointment_reason_trgm"


class Migration(migrations.Migration):
    dependencies = [("clinical", "0011_mrn_prefix_index")]

    operations = [
        PostgresOnlySQL(
            f'CREATE INDEX "{NAME}" ON "clinical_appointment" USING gin ((UPPER("reason"::text)) gin_trgm_ops)',
            reverse_sql=f'DROP INDEX IF EXISTS "{NAME}"'),
    ]
