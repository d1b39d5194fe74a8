"""The read audit: a view says which patients' data it answered with (`record_read`), and the
request's entries are written once, as one multi-row INSERT, when the response is ready
(audit.middleware). One entry per patient per request, never one per row fetched.

Reads under a break-glass grant are marked: the clinical app tells this module how to find the
caller's live grants (`mark_break_glass_with`), so this app imports no domain app."""

from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType

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


def record_read(kind, patient_ids, model):
    """Note that this request reads `kind` data of these patients (ids; None skipped), as rows of
    `model`. Outside a request (a job, the shell) nothing is noted: only people read."""
    pending = _pending.get()
    if pending is None:
        return
    for patient_id in patient_ids:
        if patient_id is not None:
            pending.setdefault(patient_id, (kind, model))


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
            action=AuditAction.READ, content_type=ContentType.objects.get_for_model(model),
            object_pk=str(patient_id), object_id=patient_id, object_repr=f"patient #{patient_id}",
            patient_id=patient_id, data_kind=kind, break_glass=patient_id in under_grant, **context,
        )
        for patient_id, (kind, model) in pending.items()
    ]
    AuditEntry.objects.bulk_create(entries)
    pending.clear()
    return len(entries)
