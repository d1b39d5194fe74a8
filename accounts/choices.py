from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    DOCTOR = "doctor", "Doctor"
    NURSE = "nurse", "Nurse"
    ENGINEER = "engineer", "Biomedical engineer"
    PATIENT = "patient", "Patient"


ROLE_DESCRIPTIONS = {
    Role.ADMIN: "Runs the hospital's data: users, facilities, devices, approvals; uses Django admin.",
    Role.DOCTOR: "Sees their patients, manages time slots, appointments and consultations.",
    Role.NURSE: "Cares for the patients of their department, reports device faults.",
    Role.ENGINEER: "Maintains the devices assigned to them: inventory, work orders, spare parts.",
    Role.PATIENT: "Sees their own record, books and manages their own appointments.",
}


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class OtpPurpose(models.TextChoices):
    PASSWORD_RESET = "password_reset", "Password reset"
    EMAIL_VERIFY = "email_verify", "Email verification"
