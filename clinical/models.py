from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.choices import ApprovalStatus, Role
from clinical.choices import (
    AppointmentStatus,
    BloodType,
    ConsultationStatus,
    DocumentKind,
    NoteType,
    Sex,
)
from core.models import Counter

DEFAULT_HR_LOW = 50
DEFAULT_HR_HIGH = 120
# Alert thresholds live in the range a monitor may report (monitoring refuses bpm outside 20-300).
HR_THRESHOLD_VALIDATORS = [MinValueValidator(20), MaxValueValidator(300)]


class Department(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DoctorProfileQuerySet(models.QuerySet):
    def practising(self):
        """Approved, active doctors: the only ones who may hold slots and appointments or be mapped
        to patients (a self-registered doctor stays out until an admin approves the sign-up)."""
        return self.filter(user__is_active=True, user__approval_status=ApprovalStatus.APPROVED)

    def visible_to(self, user):
        """Admins see every profile (pending sign-ups included); everyone else practising doctors only."""
        if getattr(user, "role", None) == Role.ADMIN:
            return self.all()
        return self.practising()


class DoctorProfile(models.Model):
    """The clinical identity of a doctor user; every `doctor` field in the API is this id.
    The doctor's department is the user's (`User.department`, one source of truth for all staff)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="doctor_profile")
    medical_license_number = models.CharField(max_length=64, unique=True)
    specialization = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DoctorProfileQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Dr. {self.user.get_full_name() or self.user.username}"

    @property
    def department(self):
        return self.user.department

    @property
    def is_practising(self):
        return self.user.is_active and self.user.approval_status == ApprovalStatus.APPROVED


def next_medical_record_number():
    return f"MRN-{Counter.next_value('medical_record_number'):07d}"


class PatientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)

    def visible_to(self, user):
        """The patients a user may see: admin all; doctor those mapped to them or with an
        appointment with them; nurse their department's; patient their own record.
        Archived records are included (their history stays reachable); patient lists hide them."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.DOCTOR:
            # Exists() rather than joins: no duplicates, so no DISTINCT for callers to trip over.
            mapped = PatientDoctorMapping.objects.filter(patient=OuterRef("pk"), doctor__user=user)
            booked = Appointment.objects.filter(patient=OuterRef("pk"), doctor__user=user)
            return self.filter(Exists(mapped) | Exists(booked))
        if role == Role.NURSE:
            if user.department_id is None:
                return self.none()
            return self.filter(department_id=user.department_id)
        if role == Role.PATIENT:
            return self.filter(user=user)
        return self.none()


class Patient(models.Model):
    """A patient record. It may exist without a login; `user` links it once the patient signs up."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient_record"
    )
    medical_record_number = models.CharField(max_length=32, unique=True, editable=False)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    blood_type = models.CharField(max_length=3, choices=BloodType.choices, blank=True)
    medical_history = models.TextField(blank=True)
    allergies = models.TextField(blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=32, blank=True)
    emergency_contact_relation = models.CharField(max_length=64, blank=True)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="patients"
    )
    hr_low = models.PositiveSmallIntegerField(default=DEFAULT_HR_LOW, validators=HR_THRESHOLD_VALIDATORS)
    hr_high = models.PositiveSmallIntegerField(default=DEFAULT_HR_HIGH, validators=HR_THRESHOLD_VALIDATORS)
    is_archived = models.BooleanField(default=False, db_index=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hr_low__lt=models.F("hr_high")),
                                   name="clinical_patient_hr_low_below_high"),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} ({self.medical_record_number})"

    def save(self, *args, **kwargs):
        if not self.medical_record_number:
            self.medical_record_number = next_medical_record_number()
        super().save(*args, **kwargs)


class PatientDoctorMappingQuerySet(models.QuerySet):
    def visible_to(self, user):
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.DOCTOR:
            return self.filter(doctor__user=user)
        if role == Role.PATIENT:
            return self.filter(patient__user=user)
        return self.none()


class PatientDoctorMapping(models.Model):
    """A doctor takes a patient into their care (and scope). Unique per pair; audited by who made it."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="doctor_mappings")
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.CASCADE, related_name="patient_mappings")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PatientDoctorMappingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "doctor"], name="clinical_mapping_unique_pair"),
        ]

    def __str__(self):
        return f"{self.patient} -> {self.doctor}"


def not_started_q(prefix=""):
    """The slot (with prefix "slot__": the appointment's slot) has not started yet, server time."""
    now = timezone.localtime()
    return (Q(**{f"{prefix}date__gt": now.date()})
            | Q(**{f"{prefix}date": now.date(), f"{prefix}start_time__gt": now.time()}))


class TimeSlotQuerySet(models.QuerySet):
    def with_availability(self):
        live = Appointment.objects.filter(slot=OuterRef("pk")).exclude(status=AppointmentStatus.CANCELLED)
        return self.annotate(is_booked=Exists(live))

    def upcoming(self):
        return self.filter(not_started_q())

    def free(self):
        """Slots without a live appointment that have not started yet."""
        return self.with_availability().upcoming().filter(is_booked=False)

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
        indexes = [models.Index(fields=["doctor", "date"])]
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


class AppointmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """admin all; doctor their own; patient their own; nurse their department's patients'."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.DOCTOR:
            return self.filter(doctor__user=user)
        if role == Role.PATIENT:
            return self.filter(patient__user=user)
        if role == Role.NURSE and user.department_id is not None:
            return self.filter(patient__department_id=user.department_id)
        return self.none()


class Appointment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.PROTECT, related_name="appointments")
    slot = models.ForeignKey(TimeSlot, on_delete=models.PROTECT, related_name="appointments")
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED,
                              db_index=True)
    cancel_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["slot__date", "slot__start_time", "id"]
        constraints = [
            # The guarantee behind "of concurrent bookings exactly one wins".
            models.UniqueConstraint(fields=["slot"], condition=~Q(status=AppointmentStatus.CANCELLED),
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


class ConsultationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Exactly the consultations of the appointments the user sees (one rule, written once there).
        Nurses see their department's; their routes are limited by role_rules."""
        return self.filter(appointment__in=Appointment.objects.visible_to(user))


class Consultation(models.Model):
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="consultation")
    chief_complaint = models.TextField(blank=True)
    diagnosis = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    follow_up_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ConsultationStatus.choices, default=ConsultationStatus.OPEN,
                              db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Consultation {self.pk} ({self.status})"

    @property
    def is_completed(self):
        return self.status == ConsultationStatus.COMPLETED


class VitalSigns(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="vital_signs")
    systolic_bp = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(40), MaxValueValidator(300)])
    diastolic_bp = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(200)])
    heart_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(20), MaxValueValidator(300)])
    temperature = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("25")), MaxValueValidator(Decimal("45"))])
    respiratory_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(4), MaxValueValidator(80)])
    spo2 = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    weight = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.2")), MaxValueValidator(Decimal("500"))])
    height = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True,
        validators=[MinValueValidator(Decimal("20")), MaxValueValidator(Decimal("280"))])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name_plural = "vital signs"
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic_bp__isnull=True) | Q(diastolic_bp__isnull=True)
                | Q(diastolic_bp__lt=models.F("systolic_bp")),
                name="clinical_vitals_diastolic_below_systolic"),
        ]

    def __str__(self):
        return f"Vital signs {self.pk} of consultation {self.consultation_id}"

    @property
    def bmi(self):
        if self.weight is None or self.height is None:
            return None
        metres = Decimal(self.height) / 100
        return round(Decimal(self.weight) / (metres * metres), 1)


class Prescription(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="prescriptions")
    medication = models.CharField(max_length=200)
    dosage = models.CharField(max_length=100)
    route = models.CharField(max_length=50, blank=True)
    frequency = models.CharField(max_length=100)
    duration_days = models.PositiveSmallIntegerField(null=True, blank=True,
                                                     validators=[MinValueValidator(1), MaxValueValidator(3650)])
    quantity = models.PositiveIntegerField(null=True, blank=True,
                                           validators=[MinValueValidator(1), MaxValueValidator(100_000)])
    refills = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(12)])
    instructions = models.TextField(blank=True)
    prescribed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.medication} {self.dosage}"


class ConsultationNote(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="notes")
    note_type = models.CharField(max_length=16, choices=NoteType.choices, default=NoteType.OTHER)
    content = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_note_type_display()} note {self.pk}"


class PatientDocumentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)


class PatientDocument(models.Model):
    """A medical record file. Stored through Django's storage API under a random name; only ever
    served through the scoped download route."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    consultation = models.ForeignKey(Consultation, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="documents")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="patient-documents/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    is_archived = models.BooleanField(default=False, db_index=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = PatientDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self):
        return self.title
