"""Patient records, the doctors caring for them, and their documents."""
from django.apps import apps
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from clinical.choices import BloodType, DocumentKind, Sex
from clinical.models.access import BreakGlassGrant
from clinical.models.directory import DoctorProfile
from core.db import FieldError
from core.models import Counter
from core.scoping import InIds
from core.sms import validate_e164
from organisation.models import Department

DEFAULT_HR_LOW = 50
DEFAULT_HR_HIGH = 120
# Alert thresholds live in the range a monitor may report (monitoring refuses bpm outside 20-300).
HR_THRESHOLD_VALIDATORS = [MinValueValidator(20), MaxValueValidator(300)]


def next_medical_record_number():
    return f"MRN-{Counter.next_value('medical_record_number'):07d}"


class PatientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)

    def in_care_of(self, user):
        """The patients in a user's care: admin all; doctor those mapped to them or with an
        appointment with them; nurse their department's; patient their own record. Every write
        scope starts here (a break-glass grant reads, never writes). Archived records included."""
        condition = _scope_condition(user, granted=False)
        return self.none() if condition is None else self.filter(condition)

    def visible_to(self, user):
        """The patients a user may see: those in their care, and for a doctor or nurse the patients
        of their live break-glass grants (clinical.models.access): the one place a grant widens a
        scope; appointments (and through them consultations) add the same grants.
        Archived records are included (their history stays reachable); patient lists hide them."""
        condition = _scope_condition(user, granted=True)
        return self.none() if condition is None else self.filter(condition)

    def records_for(self, user):
        """The records a user opens through /patients/: those they see, an archived one only if they
        are an admin (its history stays reachable elsewhere, visible_to)."""
        return self._unarchived_for(self.visible_to(user), user)

    def records_editable_by(self, user):
        """The records a user changes and adds documents to through /patients/: as records_for, among
        the patients in their care only (under a grant, a write is a 404 like any unseen record)."""
        return self._unarchived_for(self.in_care_of(user), user)

    def break_glass_reachable_by(self, user):
        """The patients a doctor or nurse may post a break-glass grant for: any record not archived."""
        return self.active() if getattr(user, "role", None) in (Role.DOCTOR, Role.NURSE) else self.none()

    @staticmethod
    def _unarchived_for(records, user):
        return records if getattr(user, "role", None) == Role.ADMIN else records.active()


def _scope_condition(user, *, granted):
    """The filter of in_care_of (granted=False) and visible_to (granted=True): Q() for all, None for nothing.

    Driven from the caller's side (issue 15), never a test per patient (an `Exists() OR Exists()` is
    a correlated subplan over the whole table): a doctor's patients are `pk = ANY(ARRAY(their
    mappings' patient ids UNION their appointments' [UNION their live grants']))`, each arm an index
    scan of the doctor's own rows, then the patients by primary key; a nurse's are their department's
    (one index) OR their grants' ids (InIds: an array, so that the OR keeps both indexes)."""
    role = getattr(user, "role", None)
    if role == Role.ADMIN:
        return Q()
    if role == Role.PATIENT:
        return Q(user=user)
    if role not in (Role.DOCTOR, Role.NURSE):
        return None
    grants = BreakGlassGrant.objects.patient_ids_for(user) if granted else None
    if role == Role.DOCTOR:
        mapped, booked = _doctor_patient_ids(user)
        return Q(InIds("pk", mapped.union(booked) if grants is None else mapped.union(booked, grants)))
    own = None if user.department_id is None else Q(department_id=user.department_id)
    if grants is None:
        return own
    return Q(InIds("pk", grants)) if own is None else own | Q(InIds("pk", grants))


def _doctor_patient_ids(user):
    """The two arms of a doctor's patients: the patient ids of their mappings and of their appointments."""
    # Appointments live in scheduling, which imports this module: resolved through the app registry.
    appointments = apps.get_model("clinical", "Appointment").objects
    return (PatientDoctorMapping.objects.filter(doctor__user=user).order_by().values("patient_id"),
            appointments.filter(doctor__user=user).order_by().values("patient_id"))


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
    # E.164 ("+966501234567") or blank: the API normalises spaces and dashes away (core.sms).
    phone = models.CharField(max_length=32, blank=True, validators=[validate_e164])
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    blood_type = models.CharField(max_length=3, choices=BloodType.choices, blank=True)
    medical_history = models.TextField(blank=True)
    allergies = models.TextField(blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=32, blank=True, validators=[validate_e164])
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
        # The list's ordering, for all and within a nurse's department (issue 15). Search: trigram
        # GIN indexes on UPPER(name, MRN) in migration 0010 (PostgreSQL only).
        indexes = [models.Index(fields=["last_name", "first_name", "id"], name="clinical_patient_name_idx"),
                   models.Index(fields=["department", "last_name", "first_name", "id"],
                                name="clinical_patient_dept_name_idx")]
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
        # The pair's unique index leads with the patient; a doctor's patients (their scope) lead with the doctor.
        indexes = [models.Index(fields=["doctor", "patient"], name="clinical_mapping_doctor_idx"),
                   models.Index(fields=["-created_at", "-id"], name="clinical_mapping_created_idx")]
        constraints = [
            models.UniqueConstraint(fields=["patient", "doctor"], name="clinical_mapping_unique_pair"),
        ]

    def __str__(self):
        return f"{self.patient} -> {self.doctor}"


class PatientDocumentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)

    def editable_by(self, user):
        """Who may archive (DELETE) a document, among those of a patient they see: its uploader, or an admin."""
        if getattr(user, "role", None) == Role.ADMIN:
            return self.all()
        if user is None or user.pk is None:
            return self.none()
        return self.filter(uploaded_by=user)


class PatientDocument(models.Model):
    """A medical record file. Stored through Django's storage API under a random name; only ever
    served through the scoped download route."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    consultation = models.ForeignKey("clinical.Consultation", null=True, blank=True, on_delete=models.PROTECT,
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


# What each constraint means when a write breaks it (core.db.constraint_errors).
CONSTRAINT_ERRORS = {
    "clinical_mapping_unique_pair": FieldError("patient",
                                               gettext_lazy("This patient is already mapped to this doctor.")),
}
