"""PostgreSQL-only indexes for ?search= and the ?request_number= prefix filter (issue 15): trigram
GIN on `UPPER(col::text)` (the expression DRF's SearchFilter asks for) for the searched columns, a
text_pattern_ops btree for the case-insensitive prefix. No-ops on SQLite."""
from django.db import migrations

from core.migration_ops import PostgresOnlySQL

TABLE = "spareparts_sparepartrequest"
SEARCHED = ["request_number", "part_name", "description"]


def index(name, using, column, opclass):
    return PostgresOnlySQL(
        f'CREATE INDEX "{name}" ON "{TABLE}" USING {using} ((UPPER("{column}"::text)) {opclass})',
        reverse_sql=f'DROP INDEX "{name}"')


class Migration(migrations.Migration):
    dependencies = [("core", "0002_postgres_tuning"), ("spareparts", "0002_list_indexes")]

    operations = [
        *(index(f"spareparts_{column}_trgm", "gin", column, "gin_trgm_ops") for column in SEARCHED),
        index("spareparts_request_number_prefix", "btree", "request_number", "text_pattern_ops"),
    ]
