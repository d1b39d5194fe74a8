"""Audit entries written directly, as the audit app would (its writers are tested elsewhere)."""

from datetime import UTC, datetime, timedelta

from django.contrib.contenttypes.models import ContentType

from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry
from clinical.models import Patient

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def entry(*, model=Patient, object_id=5, action=AuditAction.UPDATE, at=T0, actor=None, patient=5,
          data_kind=DataKind.PATIENT_RECORD, break_glass=False, cid="req-1", changes=None, **extra):
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(model), object_pk=str(object_id), object_id=object_id,
        object_repr=f"{model._meta.verbose_name} #{object_id}", action=action, timestamp=at, patient_id=patient,
        data_kind=data_kind, break_glass=break_glass, cid=cid, changes=changes,
        actor=actor, actor_name=(actor.get_full_name() if actor else ""), actor_role=(actor.role if actor else ""),
        **extra)


def entries(count, *, start=T0, **kwargs):
    """`count` entries one second apart, in one INSERT (newest last)."""
    content_type = ContentType.objects.get_for_model(kwargs.pop("model", Patient))
    return AuditEntry.objects.bulk_create(
        AuditEntry(content_type=content_type, object_pk=str(n), object_id=n, object_repr=f"patient #{n}",
                   action=AuditAction.READ, timestamp=start + timedelta(seconds=n), patient_id=n,
                   data_kind=DataKind.PATIENT_RECORD, **kwargs)
        for n in range(1, count + 1))
