"""PostgreSQL for short OLTP queries: pg_trgm for the search indexes, and no JIT.

- pg_trgm (a trusted extension since PostgreSQL 13: the database owner may create it) serves the
  lists' `?search=` (`UPPER(col) LIKE UPPER('%x%')`) from GIN indexes that each app adds.
- JIT off for this database: measured at 100,000 rows (issue 15), JIT compiled the costly plans of
  the scoped lists and took 251 of 266 ms of a count and 454 of 476 ms of a page; our queries are
  short index lookups, where JIT's compile time is never won back. Set on the database (not as a
  connection option) so that it holds through PgBouncer, which refuses startup `options`, and on a
  read replica (the setting is in the catalogue). New sessions pick it up.
"""
from django.db import migrations

from core.migration_ops import PostgresOnlySQL

JIT = """DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jit = {}', current_database()); END $$;"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        PostgresOnlySQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop),
        PostgresOnlySQL(JIT.format("off"), reverse_sql=JIT.format("DEFAULT")),
    ]
