"""Doctors' time slots and the appointments booked into them, each step recorded in the history."""
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from rest_framework.exceptions import ValidationError

from accounts.choices import Role
from audit.changes import record_created
from clinical import errors
from clinical.choices import RESCHEDULABLE_STATUSES, AppointmentStatus, can_transition
from clinical.models import Appointment, AppointmentHistory, DoctorProfile, TimeSlot
from clinical.services.directory import check_practising
from core.db import constraint_errors
from core.errors import Conflict

MAX_BULK_DAYS = 92
_CLOCK_DAY = datetime(2000, 1, 1).date()  # any day: only its clock is used


# --- Time slots --------------------------------------------------------------------------------

def _lock_doctor(doctor):
    # Serialises slot writes per doctor, so the overlap check below is sound on SQLite too.
    return DoctorProfile.objects.select_for_update().select_related("user").get(pk=doctor.pk)


def _check_not_past(slot):
    """A slot is made for the future: one whose start has passed is a 400 naming the date (an earlier
    day) or the start time (earlier today)."""
    if slot.has_started:
        if slot.date < timezone.localdate():
            raise ValidationError({"date": [_("A slot cannot be in the past: choose today or a later date.")]})
        raise ValidationError({"start_time": [_("This start time has already passed today: choose a later one.")]})


def _overlap_error():
    return ValidationError({"start_time": [_("This slot overlaps another slot of the same doctor.")]})


def _save_slot(slot):
    """Insert or update one slot: checked in code, guaranteed by the exclusion constraint."""
    clash = TimeSlot.objects.overlapping(doctor=slot.doctor, date=slot.date, start_time=slot.start_time,
                                         end_time=slot.end_time)
    if slot.pk:
        clash = clash.exclude(pk=slot.pk)
    if clash.exists():
        raise _overlap_error()
    with constraint_errors():  # the exclusion constraint answers as _overlap_error (clinical.models)
        slot.save()
    return slot


@transaction.atomic
def timeslot_create(*, doctor, date, start_time, end_time):
    doctor = _lock_doctor(doctor)
    check_practising(doctor)
    slot = TimeSlot(doctor=doctor, date=date, start_time=start_time, end_time=end_time)
    _check_not_past(slot)
    return _save_slot(slot)


def _lock_unbooked_slot(slot, verb):
    slot = TimeSlot.objects.select_for_update().get(pk=slot.pk)
    if slot.appointments.live().exists():
        raise Conflict(_("This slot holds a live appointment and cannot be %(verb)s.") % {"verb": verb},
                       code=errors.SLOT_BOOKED)
    # Cancelled appointments keep pointing at their slot (their history shows when they were):
    # such a slot stays bookable but is neither moved nor deleted.
    if slot.appointments.exists():
        raise Conflict(_("Cancelled appointments refer to this slot; it cannot be %(verb)s.") % {"verb": verb},
                       code=errors.SLOT_HAS_HISTORY)
    return slot


@transaction.atomic
def timeslot_update(*, slot, by, **fields):
    _lock_doctor(slot.doctor)
    slot = _lock_unbooked_slot(slot, pgettext("slot", "changed"))
    for name, value in fields.items():
        setattr(slot, name, value)
    _check_not_past(slot)  # a free slot may be moved, but not into the past
    return _save_slot(slot)


@transaction.atomic
def timeslot_delete(*, slot, by):
    slot = _lock_unbooked_slot(slot, pgettext("slot", "deleted"))
    slot.delete()


def _day_slot_times(start_time, end_time, slot_minutes):
    """[(start, end)] of back-to-back slots within one day. Clock arithmetic on a fixed day, so the
    real dates (up to 9999-12-31) never take part in it."""
    length = timedelta(minutes=slot_minutes)
    begin, stop = datetime.combine(_CLOCK_DAY, start_time), datetime.combine(_CLOCK_DAY, end_time)
    times = []
    while begin + length <= stop:
        times.append((begin.time(), (begin + length).time()))
        begin += length
    return times


@transaction.atomic
def timeslot_bulk_create(*, doctor, date_from, date_to, weekdays, start_time, end_time, slot_minutes):
    """A run of back-to-back slots of `slot_minutes` in [start_time, end_time) on the chosen ISO
    weekdays; a slot that would overlap an existing one is skipped and reported, not an error.
    A run starting before today is refused (400 naming date_from); today's slots whose start has
    already passed are skipped and reported ("already started"), so a run for today makes the rest
    of the day."""
    today = timezone.localdate()
    if date_from < today:
        raise ValidationError({"date_from": [_("A run of slots cannot start in the past: choose today or later.")]})
    if date_to < date_from:
        raise ValidationError({"date_to": [_("date_to must not be before date_from.")]})
    if (date_to - date_from).days + 1 > MAX_BULK_DAYS:
        raise ValidationError({"date_to": [_("A run may cover at most %(days)s days.") % {"days": MAX_BULK_DAYS}]})
    times = _day_slot_times(start_time, end_time, slot_minutes)
    if not times:
        raise ValidationError({"slot_minutes": [_("No slot of this length fits between start_time and end_time.")]})
    doctor = _lock_doctor(doctor)
    check_practising(doctor)
    now = timezone.localtime().time()
    # The doctor's slots in the range, read once: overlaps are found here, in memory, and the new
    # slots go in with one bulk insert (the exclusion constraint still guards the database).
    taken = defaultdict(list)
    for day, begin, end in TimeSlot.objects.filter(doctor=doctor, date__range=(date_from, date_to)).values_list(
            "date", "start_time", "end_time"):
        taken[day].append((begin, end))
    new, skipped = [], []
    # Count days rather than step past date_to: the day after 9999-12-31 does not exist.
    for offset in range((date_to - date_from).days + 1):
        day = date_from + timedelta(days=offset)
        if day.isoweekday() not in weekdays:
            continue
        for begin, end in times:
            if day == today and begin <= now:
                skipped.append({"date": day, "start_time": begin, "end_time": end, "reason": "already started"})
            elif any(other_begin < end and begin < other_end for other_begin, other_end in taken[day]):
                skipped.append({"date": day, "start_time": begin, "end_time": end,
                                "reason": "overlaps an existing slot"})
            else:
                new.append(TimeSlot(doctor=doctor, date=day, start_time=begin, end_time=end))
    with constraint_errors():
        created = TimeSlot.objects.bulk_create(new)
    record_created(created)  # their audit entries: one INSERT (bulk_create sends no signal)
    return created, skipped


# --- Appointments ------------------------------------------------------------------------------

def _record(appointment, *, by, from_status="", from_slot=None, note=""):
    AppointmentHistory.objects.create(
        appointment=appointment, changed_by=by, from_status=from_status, to_status=appointment.status,
        from_slot=from_slot, to_slot=appointment.slot, note=note,
    )


def _slot_taken():
    return Conflict(_("This time slot is already taken."), code=errors.SLOT_TAKEN)


def _claimable_slot(slot, field="slot"):
    """Lock the slot, refuse one in the past or of a doctor who is not approved and active (400), or
    one already holding a live appointment (409)."""
    slot = TimeSlot.objects.select_for_update().select_related("doctor__user").get(pk=slot.pk)
    if slot.has_started:
        raise ValidationError({field: [_("This slot lies in the past.")]})
    if not slot.doctor.is_practising:
        raise ValidationError({field: [_("This slot's doctor is not approved and active; choose another doctor.")]})
    if slot.appointments.live().exists():
        raise _slot_taken()
    return slot


def booking_patient(*, by, patient=None):
    """Who a booking is for: the named patient, else a patient caller's own (unarchived) record;
    anyone else must name one (400 naming `patient`)."""
    if patient is not None:
        return patient
    own = getattr(by, "patient_record", None) if by.role == Role.PATIENT else None
    if own is None or own.is_archived:
        raise ValidationError({"patient": [_("This field is required.")]})
    return own


@transaction.atomic
def appointment_book(*, slot, by, patient=None, reason="", doctor=None):
    """The doctor comes from the slot; a client that names one anyway must name that one."""
    patient = booking_patient(by=by, patient=patient)
    if doctor is not None and doctor.pk != slot.doctor_id:
        raise ValidationError({"doctor": [_("This slot belongs to another doctor.")]})
    slot = _claimable_slot(slot)
    with constraint_errors():  # a concurrent booking won the partial unique index: 409 slot_taken
        appointment = Appointment.objects.create(
            patient=patient, doctor=slot.doctor, slot=slot, reason=reason, created_by=by)
    _record(appointment, by=by, note="booked")
    return appointment


def lock_appointment(appointment):
    return Appointment.objects.select_for_update().get(pk=appointment.pk)


def transition_appointment(appointment, target, *, by, note="", check=None, **changes):
    """One appointment transition: lock, check the status machine, then `check(appointment)` (a
    rule of this transition), write, record history."""
    appointment = lock_appointment(appointment)
    current = appointment.status
    if not can_transition(current, target):
        raise Conflict(_("An appointment that is %(status)s cannot become %(target)s.") % {
            "status": current, "target": target}, code=errors.INVALID_TRANSITION)
    if check is not None:
        check(appointment)
    appointment.status = target
    for name, value in changes.items():
        setattr(appointment, name, value)
    appointment.save(update_fields=["status", "updated_at", *changes])
    _record(appointment, by=by, from_status=current, from_slot=appointment.slot, note=note)
    return appointment


@transaction.atomic
def appointment_confirm(*, appointment, by):
    return transition_appointment(appointment, AppointmentStatus.CONFIRMED, by=by)


@transaction.atomic
def appointment_cancel(*, appointment, by, reason=""):
    """Cancelling frees the slot: the partial unique index ignores cancelled appointments."""
    return transition_appointment(appointment, AppointmentStatus.CANCELLED, by=by, note=reason, cancel_reason=reason)


def _check_slot_started(appointment):
    if not appointment.slot.has_started:
        raise Conflict(_("The appointment starts at %(start)s: a patient can be marked as a no-show only once it "
                         "has started (cancel it instead).") % {"start": appointment.slot.starts_at.isoformat()},
                       code=errors.NOT_STARTED)


@transaction.atomic
def appointment_no_show(*, appointment, by, note=""):
    """Only once the slot has started: before that the patient can still come (409 not_started).
    `by=None` is the system: the no-show job (clinical.jobs.mark_no_shows) passes its note."""
    return transition_appointment(appointment, AppointmentStatus.NO_SHOW, by=by, note=note,
                                  check=_check_slot_started)


@transaction.atomic
def appointment_reschedule(*, appointment, slot, by):
    """Move to another free slot of the same doctor in one step; the old slot is freed."""
    appointment = lock_appointment(appointment)
    if appointment.status not in RESCHEDULABLE_STATUSES:
        raise Conflict(_("An appointment that is %(status)s cannot be rescheduled.") % {"status": appointment.status},
                       code=errors.INVALID_TRANSITION)
    if slot.doctor_id != appointment.doctor_id:
        raise ValidationError({"slot": [_("The new slot must belong to the same doctor.")]})
    if slot.pk == appointment.slot_id:
        raise ValidationError({"slot": [_("The appointment already holds this slot.")]})
    slot = _claimable_slot(slot)
    old_slot, old_status = appointment.slot, appointment.status
    appointment.slot = slot
    # A moved visit needs the doctor's confirmation again.
    appointment.status = AppointmentStatus.SCHEDULED
    with constraint_errors():
        appointment.save(update_fields=["slot", "status", "updated_at"])
    _record(appointment, by=by, from_status=old_status, from_slot=old_slot, note="rescheduled")
    return appointment
