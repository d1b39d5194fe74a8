from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy

from accounts.choices import ApprovalStatus, Role
from accounts.roles import STAFF_ROLES
from core.db import FieldError


class UserQuerySet(models.QuerySet):
    def with_profiles(self):
        return self.select_related("doctor_profile", "patient_record", "department")


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `createsuperuser` (also --noinput with DJANGO_SUPERUSER_*) makes an approved admin.
        extra_fields.setdefault("role", Role.ADMIN)
        extra_fields.setdefault("approval_status", ApprovalStatus.APPROVED)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """One login. Exactly one role; staff signups wait for an admin's approval."""

    email = models.EmailField("email address")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT, db_index=True)
    approval_status = models.CharField(
        max_length=16, choices=ApprovalStatus.choices, default=ApprovalStatus.APPROVED, db_index=True
    )
    email_verified = models.BooleanField(default=False)
    phone = models.CharField(max_length=32, blank=True)
    department = models.ForeignKey(
        "organisation.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="staff"
    )

    objects = UserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    def clean(self):
        """Model validation (Django admin's forms): only staff belong to a department, as in the API."""
        super().clean()
        if self.department_id is not None and self.role not in STAFF_ROLES:
            raise ValidationError(
                {"department": gettext_lazy("Only doctors, nurses and engineers belong to a department.")})

    @property
    def doctor_id(self):
        profile = getattr(self, "doctor_profile", None)
        return profile.id if profile else None

    @property
    def patient_id(self):
        record = getattr(self, "patient_record", None)
        return record.id if record else None


# What each constraint means when a write breaks it (core.db.constraint_errors): an account whose
# username or email (in any case) was taken meanwhile is a 400 naming it.
CONSTRAINT_ERRORS = {
    "User.username": FieldError("username", gettext_lazy("A user with this username already exists.")),
    "accounts_user_email_ci_unique": FieldError("email", gettext_lazy("A user with this email already exists.")),
}
