"""The role's record at sign-up comes through accounts' builder registry, inside the account's
transaction (clinical registers the builders; accounts imports no clinical code)."""

import pytest

from accounts import profiles, services
from accounts.choices import Role
from accounts.models import User
from clinical.models import DoctorProfile, Patient

pytestmark = pytest.mark.django_db


def _register(role, **profile):
    return services.user_register(username=f"new-{role}", email=f"{role}@example.org",
                                  password="A-long-passphrase-1", first_name="New", last_name="User",
                                  role=role, **profile)


def test_clinical_registers_the_doctor_and_patient_builders():
    doctor = _register(Role.DOCTOR, medical_license_number="LIC-9", specialization="Cardiology")
    patient = _register(Role.PATIENT)
    assert DoctorProfile.objects.get(user=doctor).medical_license_number == "LIC-9"
    assert Patient.objects.get(user=patient).email == "patient@example.org"


def test_a_role_without_a_builder_gets_no_record():
    nurse = _register(Role.NURSE)
    assert not DoctorProfile.objects.filter(user=nurse).exists()
    assert not Patient.objects.filter(user=nurse).exists()


def test_a_failing_builder_rolls_the_account_back(monkeypatch):
    def refuse(user, profile):
        raise RuntimeError("no record")

    monkeypatch.setitem(profiles._builders, Role.NURSE, refuse)
    with pytest.raises(RuntimeError):
        _register(Role.NURSE)
    assert not User.objects.filter(username="new-nurse").exists()
