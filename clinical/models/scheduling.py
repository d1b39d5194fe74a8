"""Doctors' time slots, the appointments booked into them and each appointment's history."""
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.lookups import IsNull
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from clinical import errors
from clinical.choices import AppointmentStatus
from clinical.models.access import BreakGlassGrant
from clinical.models.directory import DoctorProfile
from clinical.models.patients import Patient
from core.db import ConflictError, FieldError
from core.scoping import InIds


def not_started_q(prefix=""):
    """The slot (with prefix "slot__": the appointment's slot) has not started yet, server time."""
    now = timezone.localtime()
    return (Q(**{f"{prefix}date__gt": now.date()})
            | Q(**{f"{prefix}date": now.date(), f"{prefix}start_time__gt": now.time()}))


class TimeSlotQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every caller sees every slot: they are the calendar appointments are booked from."""
        return self.all()

    def editable_by(self, user):
        """An admin changes any slot, a doctor only their own."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.DOCTOR:
            return self.filter(doctor__user=user)
        return self.none()

    def with_availability(self):
        """is_booked: a live appointment holds the slot, shown per row as a scalar subquery (the one
        live appointment's id, by the partial unique index). Not an Exists(): PostgreSQL may run an
        annotated Exists() as a hashed scan of every appointment even for a page of 50, and a LEFT
        JOIN would stay in the count; a scalar subquery is never hashed, and count() drops it (issue 15).
        To filter on it, booked() and free() use Exists(), which the planner makes a (anti) join."""
        live = _live_appointments_of_slot().values("pk")[:1]
        return self.annotate(is_booked=IsNull(Subquery(live), False))

    def booked(self, value=True):
        """Slots that hold a live appointment (value=False: those that do not)."""
        held = Exists(_live_appointments_of_slot())
        return self.filter(held if value else ~held)

    def upcoming(self):
        return self.filter(not_started_q())

    def free(self):
        """Slots without a live appointment that have not started yet."""
        return self.with_availability().upcoming().booked(False)

    def overlapping(self, *, doctor, date, start_time, end_time):
        """Half-open [start, end): back-to-back slots do not overlap."""
        return self.filter(doctor=doctor, date=date, start_time__lt=end_time, end_time__gt=start_time)


class TimeSlot(models.Model):
    """A bookable interval of one doctor's day. Overlaps are refused by an exclusion constraint on
    PostgreSQL (migration 0004) and by `timeslot_create` everywhere."""

    doctor = models.ForeignKey(DoctorProfile, on_delete=models.PROTECT, related_name="time_slots")
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TimeSlotQuerySet.as_manager()

    class Meta:
        ordering = ["date", "start_time", "id"]
        # The calendar's ordering; a doctor's day (availability, overlaps) in start order.
        indexes = [models.Index(fields=["date", "start_time", "id"], name="clinical_slot_date_start_idx"),
                   models.Index(fields=["doctor", "date", "start_time"], name="clinical_slot_doctor_date_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")),
                                   name="clinical_timeslot_end_after_start"),
        ]

    def __str__(self):
        return f"{self.doctor} {self.date} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    @property
    def starts_at(self):
        return timezone.make_aware(datetime.combine(self.date, self.start_time))

    @property
    def has_started(self):
        return self.starts_at <= timezone.now()


# A live appointment holds its slot: every status but cancelled. The one definition, shared by
# AppointmentQuerySet.live() and the partial unique index that guarantees one live appointment per slot.
LIVE_APPOINTMENT = ~Q(status=AppointmentStatus.CANCELLED)


def _live_appointments_of_slot():
    return Appointment.objects.filter(slot=OuterRef("pk")).live().order_by()


class AppointmentQuerySet(models.QuerySet):
    def live(self):
        """Appointments that hold their slot (not cancelled)."""
        return self.filter(LIVE_APPOINTMENT)

    def in_care_of(self, user):
        """admin all; doctor their own; patient their own; nurse their department's patients'."""
        condition = _care_condition(user)
        return self.none() if condition is None else self.filter(condition)

    def visible_to(self, user):
        """Those in the user's care, and for a doctor or nurse every appointment of the patients of
        their live break-glass grants (read only: editable_by starts from in_care_of). A doctor's as
        a UNION of ids (their own by the doctor index, the grants' by the patient index) read once
        into an array (InIds), not an OR, which would scan the table; a nurse's are those of the
        patients they see."""
        role = getattr(user, "role", None)
        if role == Role.NURSE:
            return self.filter(InIds("patient_id", Patient.objects.visible_to(user).values("pk")))
        condition = _care_condition(user)
        if role != Role.DOCTOR:
            return self.none() if condition is None else self.filter(condition)
        granted = Appointment.objects.filter(patient__in=BreakGlassGrant.objects.patient_ids_for(user))
        own = Appointment.objects.filter(condition).order_by().values("pk")
        return self.filter(InIds("pk", own.union(granted.order_by().values("pk"))))

    def editable_by(self, user):
        """Who changes an appointment (confirm, cancel, reschedule, complete, no-show, as role_rules
        allow each): an admin any, its doctor and its patient their own. A nurse reads their
        department's but changes none; a break-glass grant changes nothing."""
        if getattr(user, "role", None) == Role.NURSE:
            return self.none()
        return self.in_care_of(user)


def _care_condition(user):
    """The filter of AppointmentQuerySet.in_care_of: Q() for all, None for nothing."""
    role = getattr(user, "role", None)
    if role == Role.ADMIN:
        return Q()
    if role == Role.DOCTOR:
        return Q(doctor__user=user)
    if role == Role.PATIENT:
        return Q(patient__user=user)
    if role == Role.NURSE and user.department_id is not None:
        return Q(patient__department_id=user.department_id)
    return None


class Appointment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.PROTECT, related_name="appointments")
    slot = models.ForeignKey(TimeSlot, on_delete=models.PROTECT, related_name="appointments")
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED,
                              db_index=True)
    cancel_reason = models.TextField(blank=True)
    # The slot start the 24-hour reminder was sent for (clinical.jobs): set by the conditional UPDATE
    # that claims the reminder, so it goes out once per start time; a moved appointment gets another.
    reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["slot__date", "slot__start_time", "id"]
        # A doctor's patients (the patients' scope) read from the index alone.
        indexes = [models.Index(fields=["doctor", "patient"], name="clinical_appt_doctor_idx")]
        constraints = [
            # The guarantee behind "of concurrent bookings exactly one wins".
            models.UniqueConstraint(fields=["slot"], condition=LIVE_APPOINTMENT,
                                    name="clinical_appointment_one_live_per_slot"),
        ]

    def __str__(self):
        return f"Appointment {self.pk}: {self.patient} with {self.doctor} ({self.status})"


class AppointmentHistory(models.Model):
    """Append-only trail of an appointment: every booking, transition and move."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="history")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=16, choices=AppointmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=AppointmentStatus.choices)
    from_slot = models.ForeignKey(TimeSlot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_slot = models.ForeignKey(TimeSlot, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name_plural = "appointment history"

    def __str__(self):
        return f"{self.appointment_id}: {self.from_status or '-'} -> {self.to_status}"


# What each constraint means when a write breaks it (core.db.constraint_errors): the answer the
# services' own checks give, for the write that passed them and lost the race.
CONSTRAINT_ERRORS = {
    # The GiST exclusion constraint of migration 0004 (PostgreSQL only; SQLite checks in code).
    "clinical_timeslot_no_overlap": FieldError("start_time",
                                               gettext_lazy("This slot overlaps another slot of the same doctor.")),
    "clinical_timeslot_end_after_start": FieldError("end_time", gettext_lazy("end_time must be after start_time.")),
    "clinical_appointment_one_live_per_slot": ConflictError(errors.SLOT_TAKEN,
                                                            gettext_lazy("This time slot is already taken.")),
}
