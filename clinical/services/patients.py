"""Patient records, the doctors caring for them, and their documents."""
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from accounts.choices import Role
from clinical.models import Patient, PatientDoctorMapping, PatientDocument
from clinical.services.directory import check_practising
from core.db import constraint_errors

# --- Patients ----------------------------------------------------------------------------------

@transaction.atomic
def patient_create(*, by, **fields):
    """A nurse's new patient joins the nurse's department; a doctor's is mapped to that doctor,
    so the record they just made stays in their scope."""
    if by.role == Role.NURSE and fields.get("department") is None:
        fields["department"] = by.department
    patient = Patient.objects.create(**fields)
    doctor = getattr(by, "doctor_profile", None) if by.role == Role.DOCTOR else None
    if doctor is not None:
        PatientDoctorMapping.objects.create(patient=patient, doctor=doctor, created_by=by)
    return patient


@transaction.atomic
def patient_archive(*, patient, by):
    """DELETE archives: the record and its clinical history stay; lists no longer show it."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not patient.is_archived:
        patient.is_archived = True
        patient.archived_at = timezone.now()
        patient.save(update_fields=["is_archived", "archived_at", "updated_at"])
    return patient


# --- Mappings ----------------------------------------------------------------------------------

def mapping_create(*, patient, doctor, by):
    check_practising(doctor)
    with constraint_errors():  # the pair is unique: a 400 naming patient (clinical.models)
        return PatientDoctorMapping.objects.create(patient=patient, doctor=doctor, created_by=by)


# --- Documents ---------------------------------------------------------------------------------

@transaction.atomic
def document_upload(*, patient, by, file, content_type, extension, **fields):
    consultation = fields.get("consultation")
    if consultation is not None and consultation.appointment.patient_id != patient.pk:
        raise ValidationError({"consultation": [_("This consultation belongs to another patient.")]})
    original_name = (file.name or "")[:255]
    file.name = f"{uuid.uuid4().hex}.{extension}"  # the stored name reveals nothing and cannot be guessed
    return PatientDocument.objects.create(
        patient=patient, uploaded_by=by, file=file, content_type=content_type,
        original_name=original_name, size=file.size, **fields,
    )


@transaction.atomic
def document_archive(*, document, by):
    """Archive, never erase. Who may: PatientDocumentQuerySet.editable_by (the API looks the document
    up through it, so another's document is a 404; the admin site is for admins only)."""
    document = PatientDocument.objects.select_for_update().get(pk=document.pk)
    if not document.is_archived:
        document.is_archived = True
        document.archived_at = timezone.now()
        document.save(update_fields=["is_archived", "archived_at"])
    return document
