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

from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import connections, router

from audit.choices import AuditAction
from audit.context import entry_context

_pending = ContextVar("audit_pending_reads", default=None)
_break_glass_lookup = None


def mark_break_glass_with(lookup):
    """lookup(user, patient_ids) -> the subset of patient_ids the user reads under a live grant."""
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


def _entry_object(patient_id, read):
    meta = read.model._meta
    if len(read.object_ids) == 1:
        (object_id,) = read.object_ids
        return {"object_pk": str(object_id), "object_id": object_id,
                "object_repr": f"{meta.verbose_name} #{object_id}"}
    count = f"{len(read.object_ids)} " if read.object_ids else ""
    return {"object_pk": "", "object_id": None,
            "object_repr": f"{count}{meta.verbose_name_plural} of patient #{patient_id}"}


def flush():
    """Write the pending reads: one INSERT for all of them (and at most one SELECT of live grants)."""
    from audit.models import AuditEntry

    pending = _pending.get()
    if not pending:
        return 0
    context = entry_context()
    actor = context["actor"]
    under_grant = set(_break_glass_lookup(actor, list(pending))) if actor and _break_glass_lookup else set()
    entries = [
        AuditEntry(
            action=AuditAction.READ, content_type=ContentType.objects.get_for_model(read.model),
            **_entry_object(patient_id, read), patient_id=patient_id, data_kind=read.kind,
            break_glass=patient_id in under_grant, **context,
        )
        for patient_id, read in pending.items()
    ]
    with _one_statement(connections[router.db_for_write(AuditEntry)]):
        AuditEntry.objects.bulk_create(entries)
    pending.clear()
    return len(entries)


@contextmanager
def _one_statement(connection):
    """Django 5.2 splits a SQLite INSERT every 999 parameters (SQLite's limit before 3.32), which
    is 47 entries: the library linked here says how many it takes, so a page of 100 patients is one
    INSERT on SQLite as on PostgreSQL. Only for this statement: the rest of Django keeps its guess."""
    if connection.vendor != "sqlite":
        yield
        return
    import sqlite3

    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    features, before = connection.features, connection.features.max_query_params
    features.max_query_params = max(limit, before)
    try:
        yield
    finally:
        features.max_query_params = before
