from datetime import time, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from clinical.models import Patient, PatientDoctorMapping, TimeSlot
from devices.models import Device, Hospital, Room
from monitoring.models import DeviceApiKey

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


def test_seed_demo_makes_exactly_the_demo_data_the_readme_lists(settings):
    # README.md "Demo data" lists this; a new user's first requests must be able to avoid it.
    settings.DEBUG = True
    call_command("seed_demo")
    assert list(Hospital.objects.values_list("name", flat=True)) == ["MediTrack General"]
    rooms = sorted(Room.objects.values_list("number", "name", "floor"))
    assert rooms == [("101", "Ward A", 1), ("B01", "Workshop", -1)]
    devices = {device.asset_number: device for device in Device.objects.all()}
    assert set(devices) == {"EQ-0001", "MON-0001"}
    for device in devices.values():
        assert (device.room.number, device.assigned_engineer.username) == ("101", "engineer")
        assert [nurse.username for nurse in device.assigned_nurses.all()] == ["nurse"]
    patient = Patient.objects.get()
    assert patient.user.username == "patient"
    assert devices["MON-0001"].patient == patient and devices["EQ-0001"].patient is None
    assert [(m.patient.user.username, m.doctor.user.username) for m in PatientDoctorMapping.objects.all()] == [
        ("patient", "doctor")
    ]
    assert not DeviceApiKey.objects.exists()


def test_seed_demo_slots_lie_in_the_future_only(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    today = timezone.localdate()
    slots = TimeSlot.objects.all()
    # Two weeks from tomorrow hold ten weekdays, whatever today is: six 30-minute slots on each.
    assert slots.count() == 60
    assert {slot.doctor.user.username for slot in slots} == {"doctor"}
    assert min(slot.date for slot in slots) > today
    assert max(slot.date for slot in slots) <= today + timedelta(days=14)
    assert {slot.date.isoweekday() for slot in slots} <= {1, 2, 3, 4, 5}
    assert {(slot.start_time, slot.end_time) for slot in slots} == {
        (time(hour, minute), time(hour + (minute + 30) // 60, (minute + 30) % 60))
        for hour in (9, 10, 11) for minute in (0, 30)
    }
