"""The clinical directory: the doctors who practise in the departments (organisation.Department)."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from accounts.choices import ApprovalStatus, Role
from core.db import FieldError


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

    def editable_by(self, user):
        """An admin edits every profile they see, a doctor only their own."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.DOCTOR:
            return self.practising().filter(user=user)
        return self.none()


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


LICENCE_OR_USER_TAKEN = gettext_lazy("This licence number (or doctor user) already has a profile.")

# What each constraint means when a write breaks it (core.db.constraint_errors). The serializers
# check the licence and the user link first; a lost race is still a 400.
CONSTRAINT_ERRORS = {
    # organisation depends on no project app, so the app that serves department routes speaks for it.
    "organisation.Department.name": FieldError("name", gettext_lazy("A department with this name already exists.")),
    "DoctorProfile.medical_license_number": FieldError("medical_license_number", LICENCE_OR_USER_TAKEN),
    "DoctorProfile.user": FieldError("medical_license_number", LICENCE_OR_USER_TAKEN),
}
