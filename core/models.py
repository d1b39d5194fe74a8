from django.db import connection, models


class Counter(models.Model):
    """Named gap-free counters for human-readable numbers (WO-YYYYMM-NNNN, MRN-NNNNNN, ...).

    `next_value()` is one atomic upsert, so concurrent callers never get the same value on
    PostgreSQL or SQLite (never count()+1).
    """

    key = models.CharField(max_length=64, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.key}={self.value}"

    @classmethod
    def next_value(cls, key):
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (key, value) VALUES (%s, 1) "  # noqa: S608 - table name is ours
                f"ON CONFLICT (key) DO UPDATE SET value = {table}.value + 1 RETURNING value",
                [key],
            )
            return cursor.fetchone()[0]
