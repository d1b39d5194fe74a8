"""The read audit: whatever answers with a patient's clinical data says so (`record_read`), and the
request's entries are written once, as one multi-row INSERT, when the response is ready
(audit.middleware). One entry per patient per request, never one per row fetched.

Who records:
- each clinical read serializer, per row it shows (`AuditedReadMixin`, `audit_read = (kind, path)`:
  the row's patient id through attributes the view already loaded, so no query per row);
- views that answer without a serializer (a document download, the readings history and
  buckets) call `record_read` / `record_object_read` once;
- admin pages that show a patient's data (audit.admin_reads).

An entry names the patient, the kind of data and the model read (`object_type`); `object_id` is
the record read when the request read exactly one of that patient's rows (a detail page), else
empty (a list: `object_repr` says how many, e.g. "3 consultations of patient #12").

Reads under a break-glass grant are marked: the clinical app tells this module how to find the
caller's live grants (`mark_break_glass_with`), so this app imports no domain app."""

from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, router
from django.utils import timezone

from audit.choices import AuditAction
from audit.context import entry_context

_pending = ContextVar("audit_pending_reads", default=None)
_break_glass_lookup = None


def mark_break_glass_with(lookup):
    """lookup(user, patient_ids) -> the patient ids among them (or a superset) the user reads under a
    live grant: a list, or a subquery (a QuerySet of patient ids, or an object with
    sql_with_params()), which PostgreSQL then runs inside the INSERT."""
    global _break_glass_lookup  # set once at start-up (ClinicalConfig.ready)
    _break_glass_lookup = lookup


def start():
    return _pending.set({})


def discard(token):
    _pending.reset(token)


class _Read:
    __slots__ = ("kind", "model", "object_ids")

    def __init__(self, kind, model):
        self.kind, self.model, self.object_ids = kind, model, set()


def record_read(kind, patient_ids, model, object_id=None):
    """Note that this request reads `kind` data of these patients (ids; None skipped), as rows of
    `model` (`object_id`: the one row read, when a caller reads rows one by one). The first kind
    noted for a patient in a request is the entry's. Outside a request (a job, the shell) nothing
    is noted: only people read."""
    pending = _pending.get()
    if pending is None:
        return
    for patient_id in patient_ids:
        if patient_id is None:
            continue
        read = pending.get(patient_id)
        if read is None:
            read = pending[patient_id] = _Read(kind, model)
        if object_id is not None and read.model is model:
            read.object_ids.add(object_id)


def follow(instance, path):
    """The value at a dotted attribute path ("appointment.patient_id"), None where a link is empty."""
    value = instance
    try:
        for part in path.split("."):
            value = getattr(value, part)
            if value is None:
                return None
    except ObjectDoesNotExist:
        return None
    return value


def record_object_read(instance, kind=None, patient=None):
    """Note a read of one record. Its kind of data and the path to its patient come from the
    audited-model registry (audit.registry) unless given."""
    if _pending.get() is None:
        return
    if kind is None or patient is None:
        from audit.registry import spec_for

        spec = spec_for(type(instance))
        if spec is None or spec.patient is None:
            return
        kind, patient = kind or spec.kind, patient or spec.patient
    record_read(kind, [follow(instance, patient)], type(instance), object_id=instance.pk)


class AuditedReadMixin:
    """A DRF serializer of a patient's clinical data: every row it shows is noted as a read.

    `audit_read = (DataKind.X, "path.to.patient_id")`: the path must go through attributes the
    view loaded already (select_related, or the parent of a nested list), so auditing adds no
    query per row. `audit_read_object = "appointment"` names the record read when it is not the
    row itself (an appointment's history is a read of the appointment)."""

    audit_read = None
    audit_read_object = None

    def to_representation(self, instance):
        kind, patient = self.audit_read
        target = follow(instance, self.audit_read_object) if self.audit_read_object else instance
        if target is not None:
            record_read(kind, [follow(instance, patient)], type(target), object_id=target.pk)
        return super().to_representation(instance)


def _model_names(model):
    """(content type id, verbose name, verbose name plural), looked up once per model per request."""
    meta = model._meta
    return ContentType.objects.get_for_model(model).pk, str(meta.verbose_name), str(meta.verbose_name_plural)


def _entry_object(patient_id, read, names):
    """(object_pk, object_id, object_repr): the one record read, else how many of the patient's."""
    _content_type, singular, plural = names
    if len(read.object_ids) == 1:
        (object_id,) = read.object_ids
        return str(object_id), object_id, f"{singular} #{object_id}"
    count = f"{len(read.object_ids)} " if read.object_ids else ""
    return "", None, f"{count}{plural} of patient #{patient_id}"


def flush():
    """Write the pending reads: one INSERT for all of them. Which of them are read under a live
    grant is one SELECT before it, or, when the lookup answers with a subquery, a subquery of the
    INSERT itself on PostgreSQL."""
    pending = _pending.get()
    if not pending:
        return 0
    context = entry_context()
    actor = context.pop("actor")
    grants = _break_glass_lookup(actor, list(pending)) if actor and _break_glass_lookup else ()
    shared = {**context, "actor_id": actor.pk if actor else None, "action": AuditAction.READ,
              "timestamp": timezone.now()}
    models = {model: _model_names(model) for model in {read.model for read in pending.values()}}
    rows = [(models[read.model][0], *_entry_object(patient_id, read, models[read.model]), patient_id, read.kind)
            for patient_id, read in pending.items()]
    _insert(shared, rows, grants)
    pending.clear()
    return len(rows)


# Per entry; every other column is the request's (`shared`) or its field's default.
VARYING = ("content_type_id", "object_pk", "object_id", "object_repr", "patient_id", "data_kind")
VARYING_TYPES = ("integer", "text", "bigint", "text", "bigint", "text")  # their arrays, on PostgreSQL
# PostgreSQL: commit the read entries without waiting for their WAL to reach the disk (see the README,
# "Read audit"): the INSERT and its commit still happen before the response is sent, so a failure is a
# 503; what is not awaited is the fsync, and a crash of the database server in the WAL writer's next
# ~0.6 s could lose those requests' read entries (never part of one, never the data's own changes,
# which commit with the data). Only outside a transaction: inside one it would set the whole
# transaction's commit.
SYNCHRONOUS_COMMIT = False


def _insert(shared, rows, grants):
    """One multi-row INSERT of the entries, written as SQL: Django's bulk_create prepares and binds
    every value of every row (21 columns x 50 rows for a page of patients, which cost more than the
    page itself). The request's shared values are prepared once, the per-entry ones (ids, short
    strings) need no preparing. On PostgreSQL the statement takes them as arrays (unnest): the same
    short statement for 1 entry or 100; elsewhere a VALUES row each."""
    from audit.models import AuditEntry

    connection = connections[router.db_for_write(AuditEntry)]
    fields = [field for field in AuditEntry._meta.concrete_fields if not field.primary_key]
    constant = {field.column: field.get_db_prep_save(shared[field.attname] if field.attname in shared
                                                     else field.get_default(), connection)
                for field in fields if field.attname not in (*VARYING, "break_glass")}
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in (*constant, *VARYING, "break_glass"))
    head = f"INSERT INTO {quote(AuditEntry._meta.db_table)} ({names}) "
    shared_marks = ", ".join(["%s"] * len(constant))
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if not postgresql and _as_sql(grants) is not None:  # SQLite: the grants' SELECT runs before
            cursor.execute(*_as_sql(grants))
            grants = [patient_id for (patient_id,) in cursor.fetchall()]
        if postgresql:
            cursor.execute(*_postgresql_insert(connection, head, shared_marks, constant, rows, grants))
            return
        granted = set(grants)
        row = f"({shared_marks}, {', '.join(['%s'] * (len(VARYING) + 1))})"
        size = max(1, _sqlite_parameter_limit(connection) // (len(constant) + len(VARYING) + 1))
        for start in range(0, len(rows), size):  # thousands of entries per statement
            chunk = rows[start:start + size]
            cursor.execute(head + "VALUES " + ", ".join([row] * len(chunk)),
                           [value for entry in chunk for value in (*constant.values(), *entry, entry[4] in granted)])


def _as_sql(grants):
    """(sql, params) of a lookup that answered with a subquery (a QuerySet of patient ids, or an
    object with sql_with_params()), else None (a list of ids)."""
    from django.db.models import QuerySet

    if isinstance(grants, QuerySet):
        return grants.query.sql_with_params()
    return grants.sql_with_params() if hasattr(grants, "sql_with_params") else None


def _postgresql_insert(connection, head, shared_marks, constant, rows, grants):
    subquery = _as_sql(grants)
    if subquery is not None:  # the grants' subquery, run by the INSERT: no SELECT before it
        subquery, grant_params = subquery
        marked = f"entry.patient_id IN ({subquery})"
    else:
        marked, grant_params = "entry.patient_id = ANY(%s::bigint[])", [list(grants)]
    arrays = ", ".join(f"%s::{kind}[]" for kind in VARYING_TYPES)
    synchronous = SYNCHRONOUS_COMMIT or connection.in_atomic_block
    prefix = "" if synchronous else "WITH commit_mode AS (SELECT set_config('synchronous_commit', 'off', true)) "
    join = "" if synchronous else " CROSS JOIN commit_mode"
    columns = ", ".join(f"entry.{name}" for name in VARYING)
    source = f"unnest({arrays}) AS entry({', '.join(VARYING)}){join}"
    sql = f"{prefix}{head}SELECT {shared_marks}, {columns}, {marked} FROM {source}"  # noqa: S608 (no values in it)
    return sql, [*constant.values(), *grant_params, *(list(column) for column in zip(*rows, strict=True))]


def _sqlite_parameter_limit(connection):
    """What the linked SQLite takes per statement (Django 5.2 assumes 999, SQLite's limit before 3.32)."""
    if connection.vendor != "sqlite":
        return connection.features.max_query_params or 999
    import sqlite3

    connection.ensure_connection()
    return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
