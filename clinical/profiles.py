"""The clinical identity a new account gets for its role; registered with accounts in
ClinicalConfig.ready(), so accounts makes it without importing clinical."""

from accounts.choices import Role
from accounts.profiles import register_profile_builder
from clinical.models import DoctorProfile, Patient
from core.sms import normalise_phone


def doctor_profile_build(user, profile):
    """A doctor's profile; its department is the user's (one source of truth for all staff)."""
    DoctorProfile.objects.create(
        user=user,
        medical_license_number=profile["medical_license_number"],
        specialization=profile["specialization"],
    )


def _record_phone(phone):
    """The account's phone in E.164 for the record (reminder SMS go there); one that is not E.164
    stays on the account only, and the record's phone is left blank for the patient to fill in."""
    try:
        return normalise_phone(phone)
    except ValueError:
        return ""


def patient_record_build(user, profile):
    """The patient's own record, carrying the account's name and contact details."""
    Patient.objects.create(
        user=user,
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email,
        phone=_record_phone(user.phone),
        date_of_birth=profile.get("date_of_birth"),
    )


def register():
    register_profile_builder(Role.DOCTOR, doctor_profile_build)
    register_profile_builder(Role.PATIENT, patient_record_build)
