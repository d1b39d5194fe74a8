"""The audit log: one append-only table for every change (create, update, delete) of an audited
record and every read of a patient's data.

The row is django-auditlog's (its AbstractLogEntry: content type, object id, action, JSON changes
old -> new, actor, correlation id = our request id, remote address, timestamp) plus what the API
filters on as plain indexed columns: the patient the entry concerns, the kind of data, the actor's
role and name at the time, and whether it was read under break-glass.

Append-only three times over: this model refuses save() of an existing row and delete(), its
queryset refuses update() and delete(), and on PostgreSQL a trigger refuses UPDATE and DELETE
from anyone (migration 0002) except `manage.py prune_audit` (audit/retention.py)."""

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.choices import AuditAction, DataKind


class AppendOnlyError(Exception):
    """Raised by any attempt to change or delete an audit entry through the ORM."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit entries are append-only.")

    def delete(self):
        raise AppendOnlyError("Audit entries are append-only.")

    def visible_to(self, user):
        return self.all() if getattr(user, "role", None) == "admin" else self.none()


class AuditEntryManager(LogEntryManager.from_queryset(AuditEntryQuerySet)):
    def log_create(self, instance, force_log=False, **kwargs):
        """django-auditlog's writer for one change (its LogEntryManager.log_create), given what only
        we know: the patient the record concerns, its kind of data, a repr without free text, and
        the acting user. Written out rather than called: auditlog renders `str(instance)` for a
        default repr even when one is given, and a __str__ that names related rows (a mapping's
        patient and doctor) would cost queries per entry, in a cascade per row deleted."""
        if kwargs.get("changes") is None and not force_log:
            return None
        from django.contrib.contenttypes.models import ContentType

        from audit.changes import iso_datetimes

        pk = self._get_pk_value(instance)
        kwargs["changes"] = iso_datetimes(type(instance), kwargs.get("changes"))
        columns = _our_columns(instance, kwargs)
        columns.setdefault("content_type", ContentType.objects.get_for_model(instance))
        columns.setdefault("object_pk", pk)
        if isinstance(pk, int):
            columns.setdefault("object_id", pk)
        columns.setdefault("serialized_data", self._get_serialized_data_or_none(instance))
        return self.create(**columns)

    def log_m2m_changes(self, changed_queryset, instance, operation, field_name, **kwargs):
        return super().log_m2m_changes(changed_queryset, instance, operation, field_name,
                                       **_our_columns(instance, kwargs))


def _our_columns(instance, kwargs):
    from audit.context import entry_context
    from audit.registry import describe

    return {**describe(instance), **entry_context(), **kwargs}


class AuditEntry(AbstractLogEntry):
    # django-auditlog indexes seven of its columns one by one (and two again for LIKE on PostgreSQL);
    # every entry pays for each index on insert, and the API filters through the composite indexes of
    # Meta instead. So its columns are redeclared here without their single-column indexes.
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, db_index=False,
                                     related_name="+")
    object_pk = models.CharField(max_length=255)
    object_id = models.BigIntegerField(null=True, blank=True)
    action = models.PositiveSmallIntegerField(choices=AuditAction.choices)
    # NULL, as django-auditlog writes it, when there is no request or job run id.
    cid = models.CharField(max_length=255, null=True, blank=True, verbose_name="request id")  # noqa: DJ001
    timestamp = models.DateTimeField(default=timezone.now)
    # No database constraint and no cascade: deleting a user must not touch the log (the trigger
    # would refuse it), and the entry keeps the actor's name and role as they were.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                              db_index=False, null=True, blank=True, related_name="+")
    actor_name = models.CharField(max_length=300, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    data_kind = models.CharField(max_length=32, choices=DataKind.choices, blank=True)
    break_glass = models.BooleanField(default=False)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["-timestamp", "-id"], name="audit_entry_time_idx"),
            models.Index(fields=["patient_id", "-timestamp"], name="audit_entry_patient_time_idx"),
            models.Index(fields=["actor", "-timestamp"], name="audit_entry_actor_time_idx"),
            models.Index(fields=["content_type", "object_id"], name="audit_entry_object_idx"),
            models.Index(fields=["cid"], name="audit_entry_request_idx"),
        ]

    def __str__(self):
        return f"{AuditAction(self.action).label} {self.object_repr} at {self.timestamp:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries are append-only.")
