from django.conf import settings
from django.db import models

from accounts.choices import Role
from clinical.choices import BloodType, Sex
from core.models import Counter

DEFAULT_HR_LOW = 50
DEFAULT_HR_HIGH = 120


class Department(models.Model):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DoctorProfile(models.Model):
    """The clinical identity of a doctor user; every `doctor` field in the API is this id."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="doctor_profile")
    medical_license_number = models.CharField(max_length=64, unique=True)
    specialization = models.CharField(max_length=120)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="doctors"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"Dr. {self.user.get_full_name() or self.user.username}"


def next_medical_record_number():
    return f"MRN-{Counter.next_value('medical_record_number'):07d}"


class PatientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)

    def visible_to(self, user):
        """The patients a user may see: admin all; doctor mapped to them (or, once appointments
        exist, with an appointment with them); nurse their department's; patient their own."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.DOCTOR:
            return self.filter(doctor_mappings__doctor__user=user).distinct()
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
    hr_low = models.PositiveSmallIntegerField(default=DEFAULT_HR_LOW)
    hr_high = models.PositiveSmallIntegerField(default=DEFAULT_HR_HIGH)
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


class PatientDoctorMapping(models.Model):
    """A doctor takes a patient into their care (and scope). Unique per pair; audited by who made it."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="doctor_mappings")
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.CASCADE, related_name="patient_mappings")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "doctor"], name="clinical_mapping_unique_pair"),
        ]

    def __str__(self):
        return f"{self.patient} -> {self.doctor}"
