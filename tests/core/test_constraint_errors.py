"""The constraint -> error table (core.db): each entry forced through the database.

The services' own checks (and their row locks) always answer first, so each test here bypasses the
check (a monkeypatched pre-check or number, or a write with no check) to make the database
constraint itself fire, on whichever backend the suite runs (SQLite by default, PostgreSQL with
DATABASE_URL): the answer is the entry's 400 or 409 and nothing is stored.
"""

import pytest
from django.db import IntegrityError, connection
from rest_framework.exceptions import ValidationError
from rest_framework.validators import UniqueValidator

from accounts import services as account_services
from accounts.choices import Role
from accounts.models import User
from clinical import services as clinical_services
from clinical.models import (
    Appointment,
    Consultation,
    Department,
    DoctorProfile,
    PatientDoctorMapping,
    TimeSlot,
    TimeSlotQuerySet,
)
from clinical.services import scheduling
from core.db import _signatures, constraint_errors, declared_entries
from core.errors import Conflict
from devices import services as device_services
from devices.models import Device, DeviceQuerySet, Hospital, Room
from spareparts import services as spare_services
from spareparts.models import SparePartRequest
from tests.factories import DoctorProfileFactory, PatientDoctorMappingFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory
from tests.factories.equipment import DeviceFactory, RoomFactory, SparePartRequestFactory, WorkOrderFactory
from workorders import services as workorder_services
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def _field_error(excinfo):
    return {field: [str(message) for message in messages] for field, messages in excinfo.value.detail.items()}


def _in_models(config, key):
    return "." in key or any(constraint.name == key for model in config.get_models()
                             for constraint in model._meta.constraints)


ENTRIES = [(config, key) for config, key, _ in declared_entries()]


@pytest.mark.parametrize(("config", "key"), ENTRIES, ids=[f"{c.label}:{k}" for c, k in ENTRIES])
def test_every_key_names_a_constraint_that_exists_in_the_database(config, key):
    """A renamed constraint or column would silently turn its entry into a 500: caught here, on
    PostgreSQL by name, on SQLite (which does not name a field's own unique) by its columns."""
    if connection.vendor != "postgresql" and not _in_models(config, key):
        pytest.skip("a constraint only PostgreSQL has (created by a migration)")
    signatures = _signatures(config, key)
    tables = {model._meta.db_table for model in config.get_models()} | {
        sig[0] for sig in signatures if isinstance(sig, tuple)}  # another app's model: its table
    with connection.cursor() as cursor:
        found = {table: connection.introspection.get_constraints(cursor, table) for table in tables}
    names = {name for constraints in found.values() for name in constraints}
    unique_columns = {(table, frozenset(c["columns"])) for table, constraints in found.items()
                      for c in constraints.values() if c["unique"]}
    if connection.vendor == "postgresql":  # matched by name only
        assert any(sig in names for sig in signatures if isinstance(sig, str))
    else:
        assert any(sig in names if isinstance(sig, str) else sig in unique_columns for sig in signatures)


def test_hospital_name_taken_is_a_400_naming_name():
    taken = Hospital.objects.create(name="St Elsewhere")
    with pytest.raises(ValidationError) as excinfo, constraint_errors():
        Hospital.objects.create(name=taken.name)
    assert _field_error(excinfo) == {"name": ["A hospital with this name already exists."]}
    assert Hospital.objects.count() == 1


def test_an_api_write_that_loses_the_race_answers_the_entry(admin_client, monkeypatch):
    """Through the base viewset: the serializer's unique check is skipped, the database answers."""
    taken = Hospital.objects.create(name="St Elsewhere")
    monkeypatch.setattr(UniqueValidator, "__call__", lambda self, value, field: None)
    response = admin_client.post("/api/hospitals/", {"name": taken.name}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["A hospital with this name already exists."]}
    assert Hospital.objects.count() == 1


def test_room_number_taken_in_the_same_hospital_is_a_400_naming_number():
    taken = RoomFactory()
    with pytest.raises(ValidationError) as excinfo, constraint_errors():
        Room.objects.create(hospital=taken.hospital, number=taken.number)
    assert _field_error(excinfo) == {"number": ["This hospital already has a room with this number."]}
    assert Room.objects.count() == 1


def test_device_create_with_a_taken_asset_number_is_a_400_naming_asset_number():
    taken = DeviceFactory()
    admin = UserFactory(role=Role.ADMIN)
    with pytest.raises(ValidationError) as excinfo:  # the serializer's check is not called here
        device_services.device_create(by=admin, hospital=taken.hospital, asset_number=taken.asset_number,
                                      name="Second pump")
    assert _field_error(excinfo) == {"asset_number": ["A device with this asset number already exists."]}
    assert Device.objects.count() == 1


def test_assigning_a_second_monitor_to_a_patient_is_a_409_patient_has_monitor(monkeypatch):
    patient = PatientFactory()
    DeviceFactory(monitor=True, patient=patient)
    other = DeviceFactory(monitor=True)
    # Skip the service's "this patient already has a monitor" check: only the OneToOne answers.
    monkeypatch.setattr(DeviceQuerySet, "exists", lambda self: False)
    with pytest.raises(Conflict) as excinfo:
        device_services.device_assign_patient(device=other, patient=patient, by=UserFactory(role=Role.ADMIN))
    assert excinfo.value.get_codes() == "patient_has_monitor"
    assert str(excinfo.value.detail) == "This patient already has a monitor; unassign it first."
    other.refresh_from_db()
    assert other.patient_id is None


def test_a_work_number_taken_is_a_409_work_number_taken(monkeypatch):
    taken = WorkOrderFactory()
    monkeypatch.setattr(workorder_services, "next_work_number", lambda: taken.work_number)
    with pytest.raises(Conflict) as excinfo:
        workorder_services.workorder_create(by=taken.created_by, device=taken.device, description="Again",
                                            work_type=taken.work_type, priority=taken.priority)
    assert excinfo.value.get_codes() == "work_number_taken"
    assert str(excinfo.value.detail) == "Could not allocate a work number; please retry."
    assert WorkOrder.objects.count() == 1


def test_a_request_number_taken_is_a_409_request_number_taken(monkeypatch):
    taken = SparePartRequestFactory()
    monkeypatch.setattr(spare_services, "next_request_number", lambda: taken.request_number)
    with pytest.raises(Conflict) as excinfo:
        spare_services.spare_part_create(by=taken.requested_by, device=taken.device, part_name="Fuse", quantity=1)
    assert excinfo.value.get_codes() == "request_number_taken"
    assert str(excinfo.value.detail) == "Could not allocate a request number; please retry."
    assert SparePartRequest.objects.count() == 1


def test_an_unmapped_constraint_stays_an_integrity_error():
    order = WorkOrderFactory()
    order.status = "closed"  # workorders_workorder_closed_has_completed_date: no entry, a bug if reached
    with pytest.raises(IntegrityError), constraint_errors():
        order.save()


@pytest.fixture
def skip_slot_checks(monkeypatch):
    """Book or move without the service's "slot already holds a live appointment" check."""
    monkeypatch.setattr(scheduling, "_claimable_slot", lambda slot, field="slot": slot)


def test_booking_a_taken_slot_is_a_409_slot_taken(skip_slot_checks):
    taken = AppointmentFactory()
    with pytest.raises(Conflict) as excinfo:
        clinical_services.appointment_book(patient=PatientFactory(), slot=taken.slot, by=taken.patient.user)
    assert excinfo.value.get_codes() == "slot_taken"
    assert str(excinfo.value.detail) == "This time slot is already taken."
    assert Appointment.objects.count() == 1


def test_rescheduling_into_a_taken_slot_is_a_409_slot_taken(skip_slot_checks):
    taken = AppointmentFactory()
    moving = AppointmentFactory(slot=TimeSlotFactory(doctor=taken.doctor))
    with pytest.raises(Conflict) as excinfo:
        clinical_services.appointment_reschedule(appointment=moving, slot=taken.slot, by=taken.doctor.user)
    assert excinfo.value.get_codes() == "slot_taken"
    moving.refresh_from_db()
    assert moving.slot_id != taken.slot_id


def test_a_second_consultation_for_an_appointment_is_a_400_naming_appointment():
    first = ConsultationFactory()
    with pytest.raises(ValidationError) as excinfo:  # the serializer's check is not called here
        clinical_services.consultation_create(appointment=first.appointment, by=first.appointment.doctor.user)
    assert _field_error(excinfo) == {"appointment": ["This appointment already has a consultation."]}
    assert Consultation.objects.count() == 1


def test_a_slot_ending_before_it_starts_is_a_400_naming_end_time():
    slot = TimeSlotFactory.build(doctor=TimeSlotFactory().doctor)
    slot.start_time, slot.end_time = slot.end_time, slot.start_time  # the serializer's check is skipped
    with pytest.raises(ValidationError) as excinfo:
        scheduling._save_slot(slot)
    assert _field_error(excinfo) == {"end_time": ["end_time must be after start_time."]}
    assert TimeSlot.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_an_overlapping_slot_is_a_400_naming_start_time(monkeypatch):
    existing = TimeSlotFactory()
    monkeypatch.setattr(TimeSlotQuerySet, "overlapping", lambda self, **kwargs: self.none())
    with pytest.raises(ValidationError) as excinfo:
        clinical_services.timeslot_create(doctor=existing.doctor, date=existing.date,
                                          start_time=existing.start_time, end_time=existing.end_time)
    assert _field_error(excinfo) == {"start_time": ["This slot overlaps another slot of the same doctor."]}
    assert TimeSlot.objects.count() == 1


def test_department_name_taken_is_a_400_naming_name():
    taken = Department.objects.create(name="Cardiology")
    with pytest.raises(ValidationError) as excinfo, constraint_errors():
        Department.objects.create(name=taken.name)
    assert _field_error(excinfo) == {"name": ["A department with this name already exists."]}
    assert Department.objects.count() == 1


@pytest.mark.parametrize("taken_field", ["medical_license_number", "user"])
def test_a_doctor_profile_for_a_taken_licence_or_user_is_a_400_naming_the_licence(taken_field):
    taken = DoctorProfileFactory()
    fields = {"user": UserFactory(role=Role.DOCTOR), "medical_license_number": "LIC-NEW", "specialization": "ENT"}
    fields[taken_field] = getattr(taken, taken_field)
    with pytest.raises(ValidationError) as excinfo, constraint_errors():
        DoctorProfile.objects.create(**fields)
    assert _field_error(excinfo) == {
        "medical_license_number": ["This licence number (or doctor user) already has a profile."]}
    assert DoctorProfile.objects.count() == 1


def test_mapping_a_patient_twice_to_a_doctor_is_a_400_naming_patient():
    taken = PatientDoctorMappingFactory()
    with pytest.raises(ValidationError) as excinfo:  # the serializer's check is not called here
        clinical_services.mapping_create(patient=taken.patient, doctor=taken.doctor, by=taken.doctor.user)
    assert _field_error(excinfo) == {"patient": ["This patient is already mapped to this doctor."]}
    assert PatientDoctorMapping.objects.count() == 1


@pytest.mark.parametrize(("field", "taken_value"), [("username", lambda user: user.username),
                                                    ("email", lambda user: user.email.upper())])
def test_signing_up_with_a_taken_username_or_email_is_a_400_naming_it(field, taken_value):
    taken = UserFactory()
    fields = {"username": "newcomer", "email": "newcomer@example.com", field: taken_value(taken)}
    with pytest.raises(ValidationError) as excinfo:  # the serializer's checks are not called here
        account_services.user_register(password="A-long-enough-passw0rd", first_name="New", last_name="Comer",
                                       **fields)
    assert _field_error(excinfo) == {field: [f"A user with this {field} already exists."]}
    assert User.objects.count() == 1
