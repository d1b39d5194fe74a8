"""Which models are audited, and what an entry says about each: the kind of data, the patient it
concerns, the fields left out (bookkeeping that changes on its own) and the many-to-many fields.

Free text is never copied into the log: every TextField of an audited model (notes, histories,
diagnoses, descriptions, reasons) is registered as masked, so its entry says the field changed
and shows "[redacted]" on both sides (AUDITLOG_MASK_CALLABLE = audit.registry.redact)."""

from dataclasses import dataclass, field

from auditlog.registry import auditlog
from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from audit.choices import DataKind

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
    "workorders.WorkOrder": Audited(DataKind.EQUIPMENT),
    "spareparts.SparePartRequest": Audited(DataKind.EQUIPMENT),
    "maintenance.PMSchedule": Audited(DataKind.EQUIPMENT),
    "accounts.User": Audited(DataKind.ACCOUNTS, include=(
        "username", "role", "approval_status", "is_active", "is_staff", "is_superuser", "department")),
    "clinical.Patient": Audited(DataKind.PATIENT_RECORD, patient="pk"),
    "clinical.PatientDoctorMapping": Audited(DataKind.CARE_TEAM, patient="patient_id"),
    "clinical.TimeSlot": Audited(DataKind.APPOINTMENTS),
    "clinical.Appointment": Audited(DataKind.APPOINTMENTS, patient="patient_id"),
    "clinical.Consultation": Audited(DataKind.CONSULTATIONS, patient="appointment.patient_id"),
    "clinical.VitalSigns": Audited(DataKind.CONSULTATIONS, patient="consultation.appointment.patient_id"),
    "clinical.Prescription": Audited(DataKind.CONSULTATIONS, patient="consultation.appointment.patient_id"),
    "clinical.ConsultationNote": Audited(DataKind.CONSULTATIONS, patient="consultation.appointment.patient_id"),
    "clinical.PatientDocument": Audited(DataKind.DOCUMENTS, patient="patient_id"),
    "clinical.BreakGlassGrant": Audited(DataKind.BREAK_GLASS, patient="patient_id"),
    "monitoring.Alert": Audited(DataKind.ALERTS, patient="patient_id"),
}


def redact(value):
    """AUDITLOG_MASK_CALLABLE: a masked field's entry shows that it changed, never what it says."""
    return REDACTED


def masked_fields(model, spec):
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.TextField)] + list(spec.extra_masked)


def reverse_relations(model):
    """Other models' keys to this one: django-auditlog would list them, as "None", on a create."""
    return [f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete]


def register_audited_models():
    for label, spec in AUDITED.items():
        model = apps.get_model(label)
        auditlog.register(
            model,
            include_fields=list(spec.include) or None,
            exclude_fields=[*ALWAYS_EXCLUDED, *spec.exclude, *reverse_relations(model)],
            mask_fields=masked_fields(model, spec),
            m2m_fields=set(spec.m2m),
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
