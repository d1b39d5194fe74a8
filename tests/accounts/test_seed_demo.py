import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from clinical.models import Patient, PatientDoctorMapping, TimeSlot
from devices.models import Device

pytestmark = pytest.mark.django_db


def snapshot():
    return [model.objects.count() for model in (User, Patient, PatientDoctorMapping, TimeSlot, Device)]


def test_seed_demo_is_idempotent_and_makes_one_user_per_role(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first
    assert sorted(User.objects.values_list("role", flat=True)) == ["admin", "doctor", "engineer", "nurse", "patient"]
    patient = User.objects.get(username="patient").patient_record
    assert patient.monitor.asset_number == "MON-0001"
    assert User.objects.get(username="nurse").check_password(settings.DEMO_PASSWORD)


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert User.objects.count() == 0
