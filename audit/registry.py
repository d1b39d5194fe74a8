"""Which models are audited, and what an entry says about each: the kind of data, the patient it
concerns, the fields left out (bookkeeping that changes on its own) and the many-to-many fields.

Free text is never copied into the log: every TextField of an audited model (notes, histories,
diagnoses, descriptions, reasons) is registered as masked, so its entry says the field changed
and shows "[redacted]" for its content (AUDITLOG_MASK_CALLABLE = audit.registry.redact)."""

from dataclasses import dataclass, field

from auditlog import receivers
from auditlog.registry import auditlog
from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models.signals import post_save, pre_save

from audit.choices import AuditAction, DataKind

REDACTED = "[redacted]"
# Every TrackedModel and most others stamp this on each save: noise, not a change.
ALWAYS_EXCLUDED = ("updated_at",)


@dataclass(frozen=True)
class Audited:
    kind: str
    patient: str | None = None  # attribute path to the patient id, e.g. "appointment.patient_id"
    exclude: tuple = ()
    include: tuple = ()  # when set, only these fields (a user: role, approval, active flags)
    m2m: tuple = ()
    extra_masked: tuple = field(default=())


AUDITED = {
    "organisation.Department": Audited(DataKind.ORGANISATION),
    "devices.Hospital": Audited(DataKind.EQUIPMENT),
    "devices.Room": Audited(DataKind.EQUIPMENT),
    "devices.Device": Audited(DataKind.EQUIPMENT, patient="patient_id", m2m=("assigned_nurses",)),
    # checklist_results carry the engineer's remarks (free text).
    "workorders.WorkOrder": Audited(DataKind.EQUIPMENT, extra_masked=("checklist_results",)),
    "spareparts.SparePartRequest": Audited(DataKind.EQUIPMENT),
    "maintenance.PMSchedule": Audited(DataKind.EQUIPMENT),
    # An account's access, not its bookkeeping (last_login changes at every sign-in); a password
    # change is recorded as a change, never its hash.
    "accounts.User": Audited(DataKind.ACCOUNTS, include=(
        "username", "email", "password", "role", "approval_status", "is_active", "is_staff", "is_superuser",
        "department"), extra_masked=("password",)),
    "clinical.Patient": Audited(DataKind.PATIENT_RECORD, patient="pk"),
    "clinical.PatientDoctorMapping": Audited(DataKind.CARE_TEAM, patient="patient_id"),
    "clinical.TimeSlot": Audited(DataKind.APPOINTMENTS),
    "clinical.Appointment": Audited(DataKind.APPOINTMENTS, patient="patient_id"),
    "clinical.Consultation": Audited(DataKind.CONSULTATIONS, patient="appointment.patient_id"),
    "clinical.VitalSigns": Audited(DataKind.CONSULTATIONS, patient="consultation.appointment.patient_id"),
    # What was prescribed is clinical content, typed as short text: masked with the free text.
    "clinical.Prescription": Audited(DataKind.CONSULTATIONS, patient="consultation.appointment.patient_id",
                                     extra_masked=("medication", "dosage", "route", "frequency")),
    "clinical.ConsultationNote": Audited(DataKind.CONSULTATIONS, patient="consultation.appointment.patient_id"),
    # A document's title and file name can say what it shows.
    "clinical.PatientDocument": Audited(DataKind.DOCUMENTS, patient="patient_id",
                                        extra_masked=("title", "original_name")),
    "clinical.BreakGlassGrant": Audited(DataKind.BREAK_GLASS, patient="patient_id"),
    # The breach's telemetry changes with every reading the ingest stores (monitoring/alerting.py):
    # not audited. Its state (open, severity, status, acknowledged, resolved, escalation) is.
    "monitoring.Alert": Audited(DataKind.ALERTS, patient="patient_id",
                                exclude=("last_value", "peak_value", "breach_count", "last_breach_at")),
}


def redact(value):
    """AUDITLOG_MASK_CALLABLE: a masked field's entry shows that it changed, never what it says.
    Only absence is told apart: no value (auditlog renders it "None") stays null, empty stays ""."""
    if value in (None, "None", ""):
        return None if value != "" else ""
    return REDACTED


def masked_fields(model, spec):
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.TextField)] + list(spec.extra_masked)


def reverse_relations(model):
    """Other models' keys to this one: django-auditlog would list them, as "None", on a create."""
    return [f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete]


def register_audited_models():
    from audit.changes import connect_set_null_audit

    for label, spec in AUDITED.items():
        model = apps.get_model(label)
        auditlog.register(
            model,
            include_fields=list(spec.include) or None,
            exclude_fields=[*ALWAYS_EXCLUDED, *spec.exclude, *reverse_relations(model)],
            mask_fields=masked_fields(model, spec),
            m2m_fields=set(spec.m2m),
        )
        _log_updates_after_save(model)
        connect_set_null_audit(model)


def _log_updates_after_save(model):
    """django-auditlog writes an update's entry in pre_save, before the UPDATE runs: a save that then
    fails outside a transaction would leave an entry for a change that never happened. Here pre_save
    only reads the row as it was, and post_save (after the UPDATE succeeded, in the same transaction
    when there is one) writes the entry."""
    pre_save.disconnect(sender=model, dispatch_uid=auditlog._dispatch_uid(pre_save, receivers.log_update))
    pre_save.connect(_remember_old, sender=model, dispatch_uid=f"audit-old-{model._meta.label}")
    post_save.connect(_log_update, sender=model, dispatch_uid=f"audit-update-{model._meta.label}")


@receivers.check_disable
def _remember_old(sender, instance, update_fields=None, **kwargs):
    if instance._state.adding or instance.pk is None or not _tracks_any(sender, update_fields):
        return
    instance._audit_old = sender._default_manager.filter(pk=instance.pk).first()


def _tracks_any(model, update_fields):
    """Whether a save of these fields (None: all) can change an audited one: a sign-in's save of
    last_login costs no read of the old row."""
    if update_fields is None:
        return True
    fields = auditlog.get_model_fields(model)
    include, exclude = set(fields["include_fields"]), set(fields["exclude_fields"])
    attnames = {f.attname: f.name for f in model._meta.concrete_fields}
    names = {attnames.get(name, name) for name in update_fields}
    return any((not include or name in include) and name not in exclude for name in names)


@receivers.check_disable
def _log_update(sender, instance, created, update_fields=None, **kwargs):
    old = instance.__dict__.pop("_audit_old", None)
    if created or old is None:
        return
    receivers._create_log_entry(
        action=AuditAction.UPDATE, instance=instance, sender=sender, diff_old=old, diff_new=instance,
        fields_to_check=update_fields, use_json_for_changes=True,
    )


def spec_for(model):
    return AUDITED.get(model._meta.label)


def patient_of(instance, spec=None):
    """The patient id an audited record concerns, or None (equipment, accounts)."""
    spec = spec or spec_for(type(instance))
    if spec is None or spec.patient is None:
        return None
    value = instance
    try:
        for part in spec.patient.split("."):
            value = getattr(value, part)
            if value is None:
                return None
    except ObjectDoesNotExist:
        return None
    return value


def safe_repr(instance):
    """What the entry calls the object: its type and id, never its text (a note's __str__ could quote it)."""
    return f"{instance._meta.verbose_name} #{instance.pk}"


def describe(instance):
    """The columns django-auditlog does not fill for one audited record."""
    spec = spec_for(type(instance))
    return {
        "patient_id": patient_of(instance, spec),
        "data_kind": spec.kind if spec else "",
        "object_repr": safe_repr(instance),
    }
