"""PostgreSQL: random_page_cost 1.1 for this database (SSD or cached data), next to jit=off (0002).

At the default 4 (a spinning disk's random read), measured at 100,000 devices (issue 15), a nurse's
device count (1,000 of 100,000 devices) hash-joined a sequential scan of every device until a VACUUM
set the visibility map: 11.8 ms; at 1.1 it is a nested loop on the primary key, 2.8 ms. The lists'
plans are index lookups from the caller's rows, which is what a random read costs on SSD. An operator
on spinning disks resets it: `ALTER DATABASE <name> RESET random_page_cost` (docs/scaling.md).
"""
from django.db import migrations

from core.migration_ops import PostgresOnlySQL

COST = """DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET random_page_cost = {}', current_database()); END $$;"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_postgres_tuning")]

    operations = [PostgresOnlySQL(COST.format("1.1"), reverse_sql=COST.format("DEFAULT"))]
