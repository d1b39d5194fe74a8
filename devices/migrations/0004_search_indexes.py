"""PostgreSQL-only indexes for ?search= and the identifier prefix filters (issue 15).

- ?search= (DRF's SearchFilter) asks `UPPER(col::text) LIKE UPPER('%term%')` of each searched
  column, ORed: a trigram GIN index per column on that same expression turns the sequential scan of
  100,000 rows into a BitmapOr of index scans (pg_trgm: core 0002).
- ?asset_number= and ?serial_number= are case-insensitive prefix filters
  (`UPPER(col::text) LIKE 'X%'`): a btree with text_pattern_ops on the same expression serves them
  as a range read, whatever the database's collation.
On SQLite (the development default) these are no-ops: its LIKE scans, at development sizes.
"""
from django.db import migrations

from core.migration_ops import PostgresOnlySQL

TABLE = "devices_device"
SEARCHED = ["asset_number", "serial_number", "name", "model", "manufacturer"]
PREFIXED = ["asset_number", "serial_number"]


def index(name, using, column, opclass):
    return PostgresOnlySQL(
        f'CREATE INDEX "{name}" ON "{TABLE}" USING {using} ((UPPER("{column}"::text)) {opclass})',
        reverse_sql=f'DROP INDEX "{name}"')


class Migration(migrations.Migration):
    dependencies = [("core", "0002_postgres_tuning"), ("devices", "0003_list_indexes")]

    operations = [
        *(index(f"devices_{column}_trgm", "gin", column, "gin_trgm_ops") for column in SEARCHED),
        *(index(f"devices_{column}_prefix", "btree", column, "text_pattern_ops") for column in PREFIXED),
    ]
