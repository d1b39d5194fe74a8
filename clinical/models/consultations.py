"""A consultation held for an appointment, with its vital signs, prescriptions and notes."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from clinical.choices import ConsultationStatus, NoteType
from clinical.models.scheduling import Appointment
from core.db import FieldError
from core.scoping import InIds


class ConsultationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Exactly the consultations of the appointments the user sees (one rule, written once there,
        break-glass grants included). Nurses see their department's; their routes are limited by role_rules."""
        return self._of_appointments(Appointment.objects.visible_to(user), user)

    def in_care_of(self, user):
        """The consultations of the appointments in the user's care (no break-glass grant)."""
        return self._of_appointments(Appointment.objects.in_care_of(user), user)

    def _of_appointments(self, appointments, user):
        # An admin's are all: `appointment_id IN (every appointment)` would be a join over both tables.
        if getattr(user, "role", None) == Role.ADMIN:
            return self.all()
        # The appointments' ids read once (InIds), then the consultations by their unique appointment
        # index: as a semi-join PostgreSQL walked every consultation in date order testing each.
        return self.filter(InIds("appointment_id", appointments.values("pk")))

    def editable_by(self, user):
        """Who records in a consultation: the doctor of its appointment, and a nurse of the patient's
        department (vital signs only: role_rules); admins and patients only read, and so does a
        break-glass grant (in_care_of, not visible_to)."""
        if getattr(user, "role", None) in (Role.DOCTOR, Role.NURSE):
            return self.in_care_of(user)
        return self.none()


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
        indexes = [models.Index(fields=["-created_at", "-id"], name="clinical_consult_created_idx")]

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


# What each constraint means when a write breaks it (core.db.constraint_errors).
CONSTRAINT_ERRORS = {
    "Consultation.appointment": FieldError("appointment", gettext_lazy("This appointment already has a consultation.")),
}
