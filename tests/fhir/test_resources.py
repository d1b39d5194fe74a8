"""Every resource the facade serves, parsed by fhir.resources' R4B model of its type, and what it
says: the mapping of our fields (docs/fhir.md). The builders send their own dict after the model
validated it: each dict equals the model's dump, so what is sent is what was validated."""

from datetime import UTC, datetime, time, timedelta

import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.slot import Slot

from accounts.choices import Role
from clinical.choices import AppointmentStatus, Sex
from devices.choices import DeviceStatus
from fhir import mapping
from tests.factories import DoctorProfileFactory, PatientFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory
from tests.factories.equipment import DeviceFactory
from tests.factories.monitoring import ReadingFactory, monitored_patient
from tests.fhir.conftest import fhir

pytestmark = pytest.mark.django_db
MODELS = {"Patient": Patient, "Practitioner": Practitioner, "Device": Device, "Observation": Observation,
          "Appointment": Appointment, "Slot": Slot, "Bundle": Bundle, "CapabilityStatement": CapabilityStatement}


def parsed(response, kind):
    body = fhir(response)
    assert body["resourceType"] == kind
    return MODELS[kind].model_validate(body), body


def test_patient_read_is_a_valid_patient_with_mrn_name_birth_date_gender_and_telecom(admin_client):
    patient = PatientFactory(first_name="Layla", last_name="Haddad", sex=Sex.FEMALE, phone="+966501234567",
                             email="layla@example.org", date_of_birth=datetime(1980, 5, 17).date())
    model, body = parsed(admin_client.get(f"/fhir/Patient/{patient.pk}"), "Patient")
    assert body["id"] == str(patient.pk)
    assert body["identifier"] == [{"use": "usual", "system": "urn:meditrack:mrn",
                                   "value": patient.medical_record_number}]
    assert model.name[0].family == "Haddad" and model.name[0].given == ["Layla"]
    assert body["birthDate"] == "1980-05-17" and body["gender"] == "female" and body["active"] is True
    assert {(t["system"], t["value"]) for t in body["telecom"]} == {("phone", "+966501234567"),
                                                                     ("email", "layla@example.org")}


def test_practitioner_read_is_the_doctor_profile(client_for):
    doctor = DoctorProfileFactory(user__first_name="Omar", user__last_name="Saleh", specialization="Cardiology")
    model, body = parsed(client_for(Role.NURSE).get(f"/fhir/Practitioner/{doctor.pk}"), "Practitioner")
    assert body["id"] == str(doctor.pk) and model.name[0].family == "Saleh"
    assert body["identifier"] == [{"system": mapping.LICENCE_SYSTEM, "value": doctor.medical_license_number}]
    assert body["qualification"][0]["code"]["text"] == "Cardiology"


@pytest.mark.parametrize(("ours", "status", "reason"), [
    (DeviceStatus.ACTIVE, "active", None), (DeviceStatus.INACTIVE, "inactive", "standby"),
    (DeviceStatus.MAINTENANCE, "inactive", "not-ready"), (DeviceStatus.DECOMMISSIONED, "inactive", "off"),
])
def test_device_read_has_serial_model_manufacturer_status_and_patient(admin_client, ours, status, reason):
    patient = PatientFactory()
    device = DeviceFactory(monitor=True, patient=patient, status=ours, serial_number="SN-42", model="BM-9",
                           manufacturer="Acme Medical")
    _model, body = parsed(admin_client.get(f"/fhir/Device/{device.pk}"), "Device")
    assert body["serialNumber"] == "SN-42" and body["modelNumber"] == "BM-9" and body["manufacturer"] == "Acme Medical"
    assert body["status"] == status and body["patient"] == {"reference": f"Patient/{patient.pk}"}
    assert body.get("statusReason", [{"coding": [{"code": None}]}])[0]["coding"][0]["code"] == reason


def test_observation_is_a_vital_signs_heart_rate_in_ucum_per_minute(admin_client):
    patient, monitor = monitored_patient()
    at = datetime(2026, 11, 30, 8, 15, 2, 250000, tzinfo=UTC)
    reading = ReadingFactory(patient=patient, device=monitor, bpm=88, recorded_at=at, device_suspect=True)
    model, body = parsed(admin_client.get(f"/fhir/Observation/{reading.pk}"), "Observation")
    assert body["status"] == "final" and body["meta"]["profile"] == [mapping.HEART_RATE_PROFILE]
    assert body["category"][0]["coding"][0]["code"] == "vital-signs"
    assert body["category"][0]["coding"][0]["system"] == mapping.CATEGORY_SYSTEM
    assert body["code"]["coding"][0] == {"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}
    assert body["valueQuantity"] == {"value": 88, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}
    assert model.effectiveDateTime == at and body["effectiveDateTime"] == "2026-11-30T08:15:02.250000Z"
    assert body["subject"] == {"reference": f"Patient/{patient.pk}"}
    assert body["device"] == {"reference": f"Device/{monitor.pk}"}
    assert body["extension"] == [{"url": mapping.DEVICE_SUSPECT, "valueBoolean": True}]


def test_a_reading_from_a_sound_monitor_carries_no_suspect_extension(admin_client):
    patient, monitor = monitored_patient()
    reading = ReadingFactory(patient=patient, device=monitor)
    _model, body = parsed(admin_client.get(f"/fhir/Observation/{reading.pk}"), "Observation")
    assert "extension" not in body


@pytest.mark.parametrize(("ours", "theirs"), list(mapping.APPOINTMENT_STATUS.items()))
def test_appointment_search_answers_valid_appointments(admin_client, ours, theirs):
    appointment = AppointmentFactory(status=ours, reason="Follow-up",
                                     cancel_reason="Travel" if ours == AppointmentStatus.CANCELLED else "")
    _bundle, body = parsed(admin_client.get(f"/fhir/Appointment?patient={appointment.patient_id}"), "Bundle")
    (resource,) = [entry["resource"] for entry in body["entry"]]
    Appointment.model_validate(resource)
    assert resource["status"] == theirs and resource["slot"] == [{"reference": f"Slot/{appointment.slot_id}"}]
    actors = {p["actor"]["reference"] for p in resource["participant"]}
    assert actors == {f"Patient/{appointment.patient_id}", f"Practitioner/{appointment.doctor_id}"}
    assert resource["start"].startswith(appointment.slot.date.isoformat())


def test_slot_search_answers_valid_slots_free_or_busy(client_for):
    doctor = DoctorProfileFactory()
    free = TimeSlotFactory(doctor=doctor, start_time=time(9), end_time=time(9, 30))
    busy = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor)).slot
    TimeSlotFactory()  # another doctor's
    _bundle, body = parsed(client_for(Role.PATIENT).get(f"/fhir/Slot?schedule=Schedule/{doctor.pk}"), "Bundle")
    slots = {entry["resource"]["id"]: entry["resource"] for entry in body["entry"]}
    for resource in slots.values():
        Slot.model_validate(resource)
    assert set(slots) == {str(free.pk), str(busy.pk)} and body["total"] == 2
    assert slots[str(free.pk)]["status"] == "free" and slots[str(busy.pk)]["status"] == "busy"
    assert slots[str(free.pk)]["schedule"] == {"reference": f"Schedule/{doctor.pk}"}
    assert slots[str(free.pk)]["end"].endswith("09:30:00Z")


def test_metadata_is_a_capability_statement_of_what_is_served(api_client):
    model, body = parsed(api_client.get("/fhir/metadata"), "CapabilityStatement")
    served = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(served) == {"Patient", "Practitioner", "Device", "Observation", "Appointment", "Slot"}
    assert {i["code"] for i in served["Patient"]["interaction"]} == {"read", "search-type"}
    assert {i["code"] for i in served["Appointment"]["interaction"]} == {"search-type"}
    assert [p["name"] for p in served["Observation"]["searchParam"]] == ["patient", "code", "date"]
    assert served["Patient"]["operation"][0]["name"] == "everything"
    assert body["fhirVersion"] == "4.3.0" and model.kind == "instance"


def test_every_builder_sends_exactly_what_its_model_validated():
    """The hot path sends the builder's dict (validated, not re-dumped): it must equal the dump."""
    patient = PatientFactory(phone="+966501234567", sex=Sex.MALE)
    device = DeviceFactory(monitor=True, patient=patient, status=DeviceStatus.MAINTENANCE)
    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC) + timedelta(microseconds=7)
    reading = ReadingFactory(patient=patient, device=device, recorded_at=at, device_suspect=True)
    appointment = AppointmentFactory(patient=patient, status=AppointmentStatus.CANCELLED, cancel_reason="Ill")
    appointment.slot.is_booked = True
    built = [(Patient, mapping.patient_resource(patient)),
             (Practitioner, mapping.practitioner_resource(appointment.doctor)),
             (Device, mapping.device_resource(device)),
             (Observation, mapping.observation_resource(reading)),
             (Appointment, mapping.appointment_resource(appointment)),
             (Slot, mapping.slot_resource(appointment.slot))]
    for model, body in built:
        assert model.model_validate(body).model_dump(mode="json", exclude_none=True) == body, model


def test_every_observation_of_a_search_page_is_valid_and_equal_to_its_model_dump(admin_client):
    """The search validates the first Observation of each shape on a page (fhir.mapping.observation_resources):
    here every one of them is, whatever its values."""
    patient, monitor = monitored_patient()
    other_monitor = DeviceFactory(monitor=True)
    start = datetime(2026, 11, 30, tzinfo=UTC)
    for n in range(40):
        ReadingFactory(patient=patient, device=monitor if n % 3 else other_monitor, bpm=20 + n * 7,
                       recorded_at=start + timedelta(seconds=n, microseconds=n * 12345), device_suspect=n % 5 == 0)
    body = fhir(admin_client.get(f"/fhir/Observation?patient={patient.pk}&_count=40"))
    Bundle.model_validate(body)
    assert len(body["entry"]) == 40
    for entry in body["entry"]:
        resource = entry["resource"]
        assert Observation.model_validate(resource).model_dump(mode="json", exclude_none=True) == resource


def test_a_page_validates_each_observation_shape_with_the_model(monkeypatch):
    patient, monitor = monitored_patient()
    rows = [ReadingFactory(patient=patient, device=monitor, device_suspect=n == 3) for n in range(6)]
    seen = []
    monkeypatch.setattr(mapping, "validated", lambda model, body: seen.append((model, "extension" in body)) or body)
    assert len(mapping.observation_resources(rows)) == 6
    assert sorted(seen) == [(Observation, False), (Observation, True)]
