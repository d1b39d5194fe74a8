"""Issue 15: btree indexes for the clinical lists' orderings and scopes, and trigram GIN indexes for
the patients' ?search= (PostgreSQL only: DRF's SearchFilter is `UPPER(col::text) LIKE UPPER('%x%')`,
which an index on the same UPPER() expression with gin_trgm_ops serves; pg_trgm: core 0002)."""
from django.conf import settings
from django.db import migrations, models

from core.migration_ops import PostgresOnlySQL

TRIGRAM_COLUMNS = ["first_name", "last_name", "medical_record_number"]


def trigram_index(column):
    name = f"clinical_patient_{column}_trgm"
    return PostgresOnlySQL(
        f'CREATE INDEX "{name}" ON "clinical_patient" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)',
        reverse_sql=f'DROP INDEX IF EXISTS "{name}"')



class Migration(migrations.Migration):

    dependencies = [
        ('clinical', '0009_breakglassgrant'),
        ('core', '0002_postgres_tuning'),
        ('organisation', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='timeslot',
            name='clinical_ti_doctor__897efc_idx',
        ),
        migrations.AddIndex(
            model_name='appointment',
            index=models.Index(fields=['doctor', 'patient'], name='clinical_appt_doctor_idx'),
        ),
        migrations.AddIndex(
            model_name='consultation',
            index=models.Index(fields=['-created_at', '-id'], name='clinical_consult_created_idx'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['last_name', 'first_name', 'id'], name='clinical_patient_name_idx'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['department', 'last_name', 'first_name', 'id'],
                               name='clinical_patient_dept_name_idx'),
        ),
        migrations.AddIndex(
            model_name='patientdoctormapping',
            index=models.Index(fields=['doctor', 'patient'], name='clinical_mapping_doctor_idx'),
        ),
        migrations.AddIndex(
            model_name='patientdoctormapping',
            index=models.Index(fields=['-created_at', '-id'], name='clinical_mapping_created_idx'),
        ),
        migrations.AddIndex(
            model_name='timeslot',
            index=models.Index(fields=['date', 'start_time', 'id'], name='clinical_slot_date_start_idx'),
        ),
        migrations.AddIndex(
            model_name='timeslot',
            index=models.Index(fields=['doctor', 'date', 'start_time'], name='clinical_slot_doctor_date_idx'),
        ),
        *[trigram_index(column) for column in TRIGRAM_COLUMNS],
    ]
