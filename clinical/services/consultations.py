"""A consultation and what is recorded in it. Completing a visit completes both the appointment and its
consultation, so both of those services live here, next to the lock order they share."""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from clinical import errors
from clinical.choices import CONSULTABLE_STATUSES, CONSULTATION_TRANSITIONS, AppointmentStatus, ConsultationStatus
from clinical.models import Appointment, Consultation, ConsultationNote, Prescription, VitalSigns
from clinical.services.scheduling import lock_appointment, transition_appointment
from core.db import constraint_errors
from core.errors import Conflict


def _lock_consultation(consultation):
    return Consultation.objects.select_for_update().get(pk=consultation.pk)


def _lock_visit(consultation):
    """Lock the appointment, then its consultation: the order appointment_complete takes too, so a
    concurrent "complete the appointment" and "complete the consultation" queue instead of deadlocking."""
    appointment = Appointment.objects.select_for_update().get(pk=consultation.appointment_id)
    return appointment, _lock_consultation(consultation)


def _open_consultation(consultation, what):
    consultation = _lock_consultation(consultation)
    if consultation.is_completed:
        raise Conflict(_("This consultation is completed; %(what)s can no longer be changed.") % {"what": what},
                       code=errors.CONSULTATION_COMPLETED)
    return consultation


def _consultation_finish(consultation):
    consultation.status = ConsultationStatus.COMPLETED
    consultation.completed_at = timezone.now()
    consultation.save(update_fields=["status", "completed_at", "updated_at"])
    return consultation


@transaction.atomic
def consultation_create(*, appointment, by, **fields):
    appointment = lock_appointment(appointment)
    if appointment.status not in CONSULTABLE_STATUSES:
        raise Conflict(_("A consultation cannot be opened for an appointment that is %(status)s.") % {
            "status": appointment.status},
                       code=errors.INVALID_TRANSITION)
    with constraint_errors():  # one per appointment: a 400 naming appointment (clinical.models)
        return Consultation.objects.create(appointment=appointment, **fields)


@transaction.atomic
def consultation_update(*, consultation, by, **fields):
    consultation = _open_consultation(consultation, pgettext("consultation", "it"))
    for name, value in fields.items():
        setattr(consultation, name, value)
    consultation.save()
    return consultation


def _consultation_transition(consultation, target):
    if target not in CONSULTATION_TRANSITIONS[consultation.status]:
        raise Conflict(_("A consultation that is %(status)s cannot become %(target)s.") % {
            "status": consultation.status, "target": target},
                       code=errors.INVALID_TRANSITION)


@transaction.atomic
def consultation_start(*, consultation, by):
    """Starting the consultation moves its appointment to in_progress."""
    appointment, consultation = _lock_visit(consultation)
    _consultation_transition(consultation, ConsultationStatus.IN_PROGRESS)
    transition_appointment(appointment, AppointmentStatus.IN_PROGRESS, by=by, note="consultation started")
    consultation.status = ConsultationStatus.IN_PROGRESS
    consultation.started_at = timezone.now()
    consultation.save(update_fields=["status", "started_at", "updated_at"])
    return consultation


@transaction.atomic
def consultation_complete(*, consultation, by):
    """Completing locks the consultation and completes its (in-progress) appointment."""
    appointment, consultation = _lock_visit(consultation)
    _consultation_transition(consultation, ConsultationStatus.COMPLETED)
    _consultation_finish(consultation)
    if appointment.status == AppointmentStatus.IN_PROGRESS:
        transition_appointment(appointment, AppointmentStatus.COMPLETED, by=by, note="consultation completed")
    return consultation


@transaction.atomic
def appointment_complete(*, appointment, by):
    """Completing the visit also completes (locks) its consultation."""
    appointment = transition_appointment(appointment, AppointmentStatus.COMPLETED, by=by)
    consultation = Consultation.objects.select_for_update().filter(appointment=appointment).first()
    if consultation is not None and not consultation.is_completed:
        _consultation_finish(consultation)
    return appointment


@transaction.atomic
def vital_signs_add(*, consultation, by, **fields):
    consultation = _open_consultation(consultation, pgettext("consultation", "its vital signs"))
    return VitalSigns.objects.create(consultation=consultation, recorded_by=by, **fields)


@transaction.atomic
def prescription_add(*, consultation, by, **fields):
    consultation = _open_consultation(consultation, pgettext("consultation", "its prescriptions"))
    return Prescription.objects.create(consultation=consultation, prescribed_by=by, **fields)


@transaction.atomic
def note_add(*, consultation, by, **fields):
    consultation = _open_consultation(consultation, pgettext("consultation", "its notes"))
    return ConsultationNote.objects.create(consultation=consultation, author=by, **fields)
