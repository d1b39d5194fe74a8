"""The change audit of the alerts the ingest writes with SQL (monitoring/alerting.py): its UPDATEs
and INSERT send no signal, so their entries are written here, one INSERT per batch, in the
ingest's transaction (audit.changes). The breach's telemetry (last and peak value, breach count,
last breach time) is not audited (audit.registry): an update that changes only those, as most
readings do, writes no entry and costs no statement."""

from audit.changes import Change, record_bulk, record_created
from audit.choices import AuditAction
from monitoring.models import Alert

# The order of alerting._values_of's tuple, by model field name.
VALUE_FIELDS = ("severity", "status", "first_value", "last_value", "peak_value", "breach_count", "opened_at",
                "last_breach_at", "resolved_at", "device", "device_suspect", "note")


def record_updates(updates):
    """updates: (alert id, patient id, values before, values after)."""
    record_bulk(Alert, AuditAction.UPDATE, [
        Change(pk, {name: (old, new) for name, old, new in zip(VALUE_FIELDS, before, after, strict=True)
                    if old != new}, patient)
        for pk, patient, before, after in updates])


def record_opened(opened):
    """opened: (alert id, patient id, kind, values) of the alerts just inserted."""
    record_created(
        Alert(pk=pk, patient_id=patient, kind=kind, escalation_level=0,
              **{("device_id" if name == "device" else name): value
                 for name, value in zip(VALUE_FIELDS, values, strict=True)})
        for pk, patient, kind, values in opened)
