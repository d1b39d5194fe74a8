"""PostgreSQL-only indexes for ?search= and the ?work_number= prefix filter (issue 15).

?search= covers work_number and description here (trigram GIN on `UPPER(col::text)`, the
expression DRF's SearchFilter asks for) and the device's asset number and name through the
device's own trigram indexes (devices 0004; workorders.filters.RelatedSearchFilter looks the
matching devices up first and sends up to 1,000 of their ids). ?work_number= is a case-insensitive prefix: a text_pattern_ops btree.
No-ops on SQLite.
"""
from django.db import migrations

from core.migration_ops import PostgresOnlySQL

TABLE = "workorders_workorder"


def index(name, using, column, opclass):
    return PostgresOnlySQL(
        f'CREATE INDEX "{name}" ON "{TABLE}" USING {using} ((UPPER("{column}"::text)) {opclass})',
        reverse_sql=f'DROP INDEX "{name}"')


class Migration(migrations.Migration):
    dependencies = [("core", "0002_postgres_tuning"), ("workorders", "0004_list_indexes")]

    operations = [
        index("workorders_work_number_trgm", "gin", "work_number", "gin_trgm_ops"),
        index("workorders_description_trgm", "gin", "description", "gin_trgm_ops"),
        index("workorders_work_number_prefix", "btree", "work_number", "text_pattern_ops"),
    ]
