"""Demo data for `make run`: one user per role. Idempotent: existing rows are left as they are."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from clinical.models import Department, DoctorProfile, Patient

DEMO_USERS = [
    ("admin", Role.ADMIN, "Ada", "Admin"),
    ("doctor", Role.DOCTOR, "Gregory", "House"),
    ("nurse", Role.NURSE, "Florence", "Nightingale"),
    ("engineer", Role.ENGINEER, "Emily", "Roebling"),
    ("patient", Role.PATIENT, "Pat", "Smith"),
]


class Command(BaseCommand):
    help = "Create demo users (one per role) for local development. Safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow running with DEBUG off.")

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo users with DEBUG off (use --force).")
        password = settings.DEMO_PASSWORD
        department, _ = Department.objects.get_or_create(
            name="Cardiology", defaults={"description": "Heart and circulation."}
        )
        rows = []
        for username, role, first, last in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@meditrack.local", "first_name": first, "last_name": last,
                    "role": role, "approval_status": ApprovalStatus.APPROVED, "email_verified": True,
                    "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN,
                    "department": department if role in (Role.DOCTOR, Role.NURSE, Role.ENGINEER) else None,
                },
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            if role == Role.DOCTOR:
                DoctorProfile.objects.get_or_create(
                    user=user, defaults={"medical_license_number": "LIC-DEMO-0001",
                                         "specialization": "Cardiology", "department": department},
                )
            if role == Role.PATIENT:
                Patient.objects.get_or_create(
                    user=user, defaults={"first_name": first, "last_name": last, "email": user.email,
                                         "department": department},
                )
            rows.append((username, role, "created" if created else "exists"))
        self.stdout.write("Demo users (password for new ones: the DEMO_PASSWORD setting):")
        for username, role, state in rows:
            self.stdout.write(f"  {username:<10} {role:<9} {state}")
        self.stdout.write(f"  password: {password}")
