from django.db import connection, models
from django.utils import timezone


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
    def next_monthly_number(cls, prefix, now=None):
        """PREFIX-YYYYMM-NNNN from a per-month counter row (WO-202611-0001, SPR-202611-0001)."""
        month = f"{(now or timezone.now()):%Y%m}"
        return f"{prefix}-{month}-{cls.next_value(f'{prefix}-{month}'):04d}"

    @classmethod
    def next_monthly_numbers(cls, prefix, count, now=None):
        """`count` consecutive PREFIX-YYYYMM-NNNN numbers in one statement (bulk creation)."""
        month = f"{(now or timezone.now()):%Y%m}"
        last = cls.next_value(f"{prefix}-{month}", count)
        return [f"{prefix}-{month}-{value:04d}" for value in range(last - count + 1, last + 1)]

    @classmethod
    def next_value(cls, key, step=1):
        """Add `step` to the counter and return the new value (the last of `step` reserved ones)."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (key, value) VALUES (%s, %s) "  # noqa: S608 - table name is ours
                f"ON CONFLICT (key) DO UPDATE SET value = {table}.value + %s RETURNING value",
                [key, step, step],
            )
            return cursor.fetchone()[0]


class TrackedModel(models.Model):
    """created_at / updated_at where a freshly created row has updated_at == created_at exactly,
    so "created" and "updated" events (dashboard activity) can be told apart."""

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.updated_at = self.created_at
        else:
            self.updated_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)
