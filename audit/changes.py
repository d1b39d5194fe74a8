"""The change audit's writers beside django-auditlog's signals.

Signals see `save()` and `delete()`; they never see a set-based write: `QuerySet.update()`,
`bulk_create()` or hand-written SQL. A service that writes that way records its rows here, in the
same transaction and with ONE INSERT per call whatever the number of rows:

- `record_bulk(model, action, rows)`: rows of `Change(pk, changes, patient_id)` with changes
  `{field: (old, new)}` (an update's values before and after; a create's `(None, value)`),
- `record_created(instances)`: instances just inserted by `bulk_create` (or raw SQL), with their pks.

Values are written exactly as the signals write them (auditlog's own field rendering), the
registry's include/exclude lists apply, masked fields (free text) say "[redacted]" on both sides,
and the actor and request id come from `audit.context.entry_context()` (nobody and the job run's
id in a job). A row whose changes are all excluded writes nothing.

Also here: the one change the ORM makes without a signal on a delete, `on_delete=SET_NULL`
(Django's collector clears those keys with one UPDATE): `connect_set_null_audit` records it for
every audited model's nullable key, before the UPDATE, inside the delete's transaction."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache

from auditlog.diff import get_field_value, is_primitive
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router
from django.db.models.signals import pre_delete
from django.utils.encoding import smart_str

from audit.choices import AuditAction
from audit.context import entry_context
from audit.registry import describe, redact, spec_for


@dataclass
class Change:
    pk: int
    changes: dict = field(default_factory=dict)  # {field name: (old, new)}: python values
    patient_id: int | None = None


class _Value:
    """What auditlog's get_field_value reads a value from (an attribute by the field's name)."""

    def __init__(self, model_field, value):
        setattr(self, model_field.name, value)
        setattr(self, model_field.attname, value)


def render(model_field, value):
    """One value as the signals store it (AUDITLOG_STORE_JSON_CHANGES): a key as its id, a
    date-time in ISO 8601 with its offset (UTC), anything not JSON-native as its string."""
    value = get_field_value(_Value(model_field, value), model_field, use_json_for_changes=True)
    value = value if is_primitive(value) else smart_str(value)
    return iso_datetime(value) if isinstance(model_field, models.DateTimeField) else value


def iso_datetime(value):
    """auditlog renders a date-time naive in UTC ("2026-12-01 16:46:23.284196"); the API's are ISO 8601
    with an offset ("2026-12-01T16:46:23.284196+00:00"), and so are the log's."""
    if not isinstance(value, str) or not value:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def iso_datetimes(model, changes):
    """A signal's changes with its date-time fields' values as iso_datetime says."""
    for name, pair in (changes or {}).items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(model_field, models.DateTimeField) and isinstance(pair, list | tuple):
            changes[name] = [iso_datetime(value) for value in pair]
    return changes


@cache
def tracked_fields(model):
    """{field name: (model field, masked)} of the fields auditlog tracks for this model (its include
    and exclude lists, as registered at start-up), read once per model."""
    fields = auditlog.get_model_fields(model)
    include, exclude, masked = (set(fields[key]) for key in ("include_fields", "exclude_fields", "mask_fields"))
    return {f.name: (f, f.name in masked) for f in model._meta.concrete_fields
            if (not include or f.name in include) and f.name not in exclude}


def _pair(masked, old, new):
    return [redact(smart_str(old)), redact(smart_str(new))] if masked else [old, new]


def _rendered_changes(model, changes):
    tracked, out = tracked_fields(model), {}
    for name, (old, new) in changes.items():
        if name not in tracked:
            continue
        model_field, masked = tracked[name]
        old, new = render(model_field, old), render(model_field, new)
        if old != new:
            out[name] = _pair(masked, old, new)
    return out


def _entry(model, content_type, action, pk, patient_id, changes, context):
    from audit.models import AuditEntry

    return AuditEntry(
        content_type=content_type, object_pk=str(pk), object_id=pk if isinstance(pk, int) else None,
        object_repr=f"{model._meta.verbose_name} #{pk}", action=action, changes=changes,
        patient_id=patient_id, data_kind=spec_for(model).kind, **context,
    )


def record_bulk(model, action, rows):
    """Write one entry per row that changed a tracked field, in one INSERT. Returns the entries."""
    if spec_for(model) is None:
        return []
    changed = [(row, changes) for row in rows if (changes := _rendered_changes(model, row.changes))]
    if not changed:  # nothing audited changed: no statement at all (the ingest's hot path)
        return []
    content_type, context = ContentType.objects.get_for_model(model), entry_context()
    return insert_entries([_entry(model, content_type, action, row.pk, row.patient_id, changes, context)
                           for row, changes in changed])


def created_changes(instance):
    """A create's changes as the signal writes them: every tracked field with a value, from None."""
    out = {}
    for name, (model_field, masked) in tracked_fields(type(instance)).items():
        value = render(model_field, getattr(instance, model_field.attname))
        if value is not None:
            out[name] = _pair(masked, None, value)
    return out


def record_created(instances):
    """Create entries for instances inserted without save() (pks set), in one INSERT."""
    from audit.models import AuditEntry

    instances = list(instances)
    if not instances or spec_for(type(instances[0])) is None:
        return []
    content_type, context = ContentType.objects.get_for_model(type(instances[0])), entry_context()
    return insert_entries([
        AuditEntry(content_type=content_type, object_pk=str(instance.pk), object_id=instance.pk,
                   action=AuditAction.CREATE, changes=created_changes(instance), **describe(instance), **context)
        for instance in instances])


# PostgreSQL's bound on one statement's parameters (its wire protocol counts them in 16 bits).
POSTGRESQL_MAX_PARAMS = 65535


def _rows_per_insert(connection, columns):
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // columns
    if connection.vendor == "postgresql":
        return POSTGRESQL_MAX_PARAMS // columns
    return None


def insert_entries(entries):
    """Insert entries as ONE multi-row INSERT (split only at the driver's real parameter bound:
    250,000 on SQLite, 65,535 on PostgreSQL). bulk_create would split at Django's 999 parameters
    for SQLite, 55 entries a statement, and a set-based write would cost a statement per 55 rows."""
    from audit.models import AuditEntry

    if not entries:
        return entries
    using = router.db_for_write(AuditEntry)
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    size = _rows_per_insert(connections[using], len(fields))
    if size is None:
        return AuditEntry.objects.bulk_create(entries)
    for start in range(0, len(entries), size):
        AuditEntry.objects._insert(entries[start:start + size], fields=fields, using=using)
    return entries


# --- on_delete=SET_NULL ---------------------------------------------------------------------------

def patient_lookup(spec):
    """The registry's patient path as a queryset lookup ("consultation.appointment.patient_id" ->
    "consultation__appointment__patient_id"), or None."""
    return spec.patient.replace(".", "__") if spec.patient else None


def _set_null_receiver(model, key):
    spec = spec_for(model)
    lookup = patient_lookup(spec)

    def record(sender, instance, **kwargs):
        columns = ["pk", lookup] if lookup else ["pk"]
        rows = model._base_manager.using(kwargs.get("using")).filter(**{key.name: instance.pk}).values_list(*columns)
        record_bulk(model, AuditAction.UPDATE, [
            Change(pk=values[0], patient_id=values[1] if lookup else None, changes={key.name: (instance.pk, None)})
            for values in rows])

    return record


def connect_set_null_audit(model):
    """For each nullable key of an audited model that its target's deletion clears (SET_NULL, or
    SET_DEFAULT to null), record the cleared keys when a target row is deleted."""
    for key, _masked in tracked_fields(model).values():
        if not key.is_relation or key.remote_field.on_delete not in (models.SET_NULL, models.SET_DEFAULT):
            continue
        pre_delete.connect(_set_null_receiver(model, key), sender=key.related_model, weak=False,
                           dispatch_uid=f"audit-set-null-{model._meta.label}-{key.name}")
