"""Demo data for `make run`: one user per role, and a small hospital around them.

Idempotent: existing rows are left as they are, so running it again changes nothing. No device
API key is made: an admin issues one with POST /api/devices/{id}/api-keys/ (it is shown once).

Maintenance: three PM schedules (one due now, so the first generator run of `make run` creates its
work order; one monthly on the 31st, which clamps to shorter months; one counted from the completed
date) and warranty/calibration dates (the pump's calibration is overdue and its warranty expires
within 30 days), each set once: a date already there is left alone.
"""

from datetime import time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from audit.changes import Change, record_bulk
from audit.choices import AuditAction
from clinical.models import Department, DoctorProfile, Patient, PatientDoctorMapping
from clinical.services import timeslot_bulk_create
from devices.choices import DeviceCategory
from devices.models import Device, Hospital, Room
from devices.services import device_assign_patient
from maintenance.choices import BasedOn, Frequency
from maintenance.models import PMSchedule
from maintenance.services import pm_schedule_create

DEMO_USERS = [
    ("admin", Role.ADMIN, "Ada", "Admin"),
    ("doctor", Role.DOCTOR, "Gregory", "House"),
    ("nurse", Role.NURSE, "Florence", "Nightingale"),
    ("engineer", Role.ENGINEER, "Emily", "Roebling"),
    ("patient", Role.PATIENT, "Pat", "Smith"),
]


class Command(BaseCommand):
    help = "Create demo users (one per role) and a small hospital for local development. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow running with DEBUG off.")

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create demo users with DEBUG off (use --force).")
        department, _ = Department.objects.get_or_create(
            name="Cardiology", defaults={"description": "Heart and circulation."}
        )
        users = self.users(department)
        pump, monitor = self.hospital(users)
        self.maintenance(users["admin"][0], pump, monitor)
        self.stdout.write("Demo users (username / role / state):")
        for username, (user, created) in users.items():
            self.stdout.write(f"  {username:<10} {user.role:<9} {'created' if created else 'exists'}")
        self.stdout.write(f"  password of new demo users: {settings.DEMO_PASSWORD} (DEMO_PASSWORD)")
        self.stdout.write(f"PM schedules: {PMSchedule.objects.count()} (their work orders come from the generator: "
                          "`manage.py generate_pm_workorders`, run by `make run`'s worker at start and hourly)")

    def users(self, department):
        users = {}
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
                user.set_password(settings.DEMO_PASSWORD)
                user.save(update_fields=["password"])
            users[username] = (user, created)
        doctor, patient = users["doctor"][0], users["patient"][0]
        DoctorProfile.objects.get_or_create(
            user=doctor, defaults={"medical_license_number": "LIC-DEMO-0001", "specialization": "Cardiology"},
        )
        Patient.objects.get_or_create(
            user=patient, defaults={"first_name": patient.first_name, "last_name": patient.last_name,
                                    "email": patient.email, "department": department},
        )
        return users

    def hospital(self, users):
        admin, doctor, nurse, engineer, patient_user = (users[name][0] for name, *_ in DEMO_USERS)
        hospital, _ = Hospital.objects.get_or_create(name="MediTrack General", defaults={"address": "1 Main St"})
        ward, _ = Room.objects.get_or_create(hospital=hospital, number="101", defaults={"name": "Ward A", "floor": 1})
        Room.objects.get_or_create(hospital=hospital, number="B01", defaults={"name": "Workshop", "floor": -1})
        pump, _ = Device.objects.get_or_create(
            asset_number="EQ-0001",
            defaults={"name": "Infusion pump", "model": "IP-200", "manufacturer": "Acme Medical",
                      "serial_number": "SN-EQ-0001", "hospital": hospital, "room": ward,
                      "assigned_engineer": engineer},
        )
        pump.assigned_nurses.add(nurse)
        monitor, _ = Device.objects.get_or_create(
            asset_number="MON-0001",
            defaults={"name": "Bedside monitor", "model": "BM-9", "manufacturer": "Acme Medical",
                      "serial_number": "SN-MON-0001", "category": DeviceCategory.MONITOR, "hospital": hospital,
                      "room": ward, "assigned_engineer": engineer},
        )
        monitor.assigned_nurses.add(nurse)
        patient = patient_user.patient_record
        PatientDoctorMapping.objects.get_or_create(patient=patient, doctor=doctor.doctor_profile,
                                                   defaults={"created_by": admin})
        if monitor.patient_id is None and not Device.objects.filter(patient=patient).exists():
            device_assign_patient(device=monitor, patient=patient, by=admin)
        today = timezone.localdate()
        # Overlapping slots are skipped, so this adds only the days not yet planned.
        timeslot_bulk_create(doctor=doctor.doctor_profile, date_from=today + timedelta(days=1),
                             date_to=today + timedelta(days=14), weekdays={1, 2, 3, 4, 5},
                             start_time=time(9, 0), end_time=time(12, 0), slot_minutes=30)
        return pump, monitor

    def maintenance(self, admin, pump, monitor):
        today = timezone.localdate()
        day = lambda offset: today + timedelta(days=offset)  # noqa: E731
        dates = {
            # Calibration overdue (calibration_required) and a warranty ending within 30 days.
            pump: {"warranty_expires": day(20), "last_calibration_date": day(-400), "next_calibration_due": day(-35)},
            monitor: {"warranty_expires": day(400), "last_calibration_date": day(-90),
                      "next_calibration_due": day(275)},
        }
        for device, values in dates.items():
            for name, value in values.items():
                if Device.objects.filter(pk=device.pk, **{f"{name}__isnull": True}).update(**{name: value}):
                    record_bulk(Device, AuditAction.UPDATE,
                                [Change(device.pk, {name: (None, value)}, device.patient_id)])
        for device, title, spec in demo_schedules(pump, monitor, today):
            if not PMSchedule.objects.filter(device=device, title=title).exists():
                pm_schedule_create(by=admin, device=device, title=title, **spec)


def next_31st(today):
    """The next 31st of a month, today included."""
    day = today
    while day.day != 31:
        day += timedelta(days=1)
    return day


def demo_schedules(pump, monitor, today):
    return [
        # Due in 5 days with 7 lead days: the first generator run creates its work order.
        (pump, "Electrical safety check", {
            "checklist": ["Inspect the power cord and plug", "Measure earth leakage current",
                          "Test the occlusion alarm"],
            "frequency": Frequency.MONTHLY, "next_due_date": today + timedelta(days=5), "lead_days": 7}),
        # Monthly on the 31st: 31 Jan -> 28 Feb -> 28 Mar (it counts on from the clamped date).
        (monitor, "Alarm and display test", {
            "checklist": ["Trigger each alarm limit", "Check the display and the speaker"],
            "frequency": Frequency.MONTHLY, "next_due_date": next_31st(today), "lead_days": 3}),
        # Every 6 months from the day the previous one closed: one work order now, then it waits.
        (pump, "Flow-rate calibration", {
            "checklist": ["Measure the delivered volume over 1 hour", "Adjust and record the calibration"],
            "frequency": Frequency.MONTHLY, "interval": 6, "based_on": BasedOn.COMPLETED_DATE,
            "next_due_date": today + timedelta(days=10), "lead_days": 14}),
    ]
