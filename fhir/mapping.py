"""Our rows as FHIR R4 (R4B) resources: one builder per resource, each returning the JSON dict that
is sent, after fhir.resources' model of that resource has validated it (`validated`).

The dict is sent rather than the model's `model_dump()`: dumping costs twice what validating
does, and tests/fhir/test_resources.py holds every builder's dict equal to the dump of the model it
validated (so the two cannot drift). Date-times are written as the models write them (UTC, `Z`).

Mapping decisions (docs/fhir.md): identifiers under `urn:meditrack:*` systems; a device's FHIR
status from ours (DEVICE_STATUS); an appointment's from ours (APPOINTMENT_STATUS); a suspect
reading carries the DEVICE_SUSPECT extension (valueBoolean true), never an interpretation (that
would say the value is abnormal, not that the monitor is unreliable)."""

from datetime import UTC, datetime

from django.utils import timezone

from clinical.choices import AppointmentStatus, Sex
from devices.choices import DeviceStatus
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.slot import Slot

MRN_SYSTEM = "urn:meditrack:mrn"
ASSET_SYSTEM = "urn:meditrack:asset-number"
LICENCE_SYSTEM = "urn:meditrack:medical-license"
DEVICE_SUSPECT = "urn:meditrack:fhir:extension:device-suspect"
LOINC = "http://loinc.org"
HEART_RATE = "8867-4"
UCUM = "http://unitsofmeasure.org"
HEART_RATE_PROFILE = "http://hl7.org/fhir/StructureDefinition/heartrate"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
DEVICE_STATUS_REASON = "http://terminology.hl7.org/CodeSystem/device-status-reason"

GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other", Sex.UNKNOWN: "unknown"}
# Ours -> (FHIR Device.status, statusReason code or None).
DEVICE_STATUS = {
    DeviceStatus.ACTIVE: ("active", None),
    DeviceStatus.INACTIVE: ("inactive", "standby"),
    DeviceStatus.MAINTENANCE: ("inactive", "not-ready"),
    DeviceStatus.DECOMMISSIONED: ("inactive", "off"),
}
APPOINTMENT_STATUS = {
    AppointmentStatus.SCHEDULED: "booked",
    AppointmentStatus.CONFIRMED: "booked",
    AppointmentStatus.IN_PROGRESS: "arrived",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}

HEART_RATE_CODE = {"coding": [{"system": LOINC, "code": HEART_RATE, "display": "Heart rate"}], "text": "Heart rate"}
VITAL_SIGNS = [{"coding": [{"system": CATEGORY_SYSTEM, "code": "vital-signs", "display": "Vital Signs"}],
                "text": "Vital Signs"}]
SUSPECT_EXTENSION = [{"url": DEVICE_SUSPECT, "valueBoolean": True}]


def validated(model, body):
    """The body, once fhir.resources' model accepted it (a ValidationError otherwise: a 500, never sent)."""
    model.model_validate(body)
    return body


def instant(value):
    """An aware datetime as FHIR dateTime, the way fhir.resources writes it (UTC, `Z`)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _without_empty(body):
    return {key: value for key, value in body.items() if value not in (None, "", [], {})}


def patient_resource(patient):
    telecom = [{"system": "phone", "value": patient.phone}] if patient.phone else []
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    name = _without_empty({"use": "official", "family": patient.last_name,
                           "given": [patient.first_name] if patient.first_name else None})
    return validated(Patient, _without_empty({
        "resourceType": "Patient", "id": str(patient.pk),
        "identifier": [{"use": "usual", "system": MRN_SYSTEM, "value": patient.medical_record_number}],
        "active": not patient.is_archived,
        "name": [name],
        "telecom": telecom,
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
    }))


def practitioner_resource(doctor):
    user = doctor.user
    name = _without_empty({"use": "official", "family": user.last_name or user.username,
                           "given": [user.first_name] if user.first_name else None, "prefix": ["Dr."]})
    return validated(Practitioner, _without_empty({
        "resourceType": "Practitioner", "id": str(doctor.pk),
        "identifier": [{"system": LICENCE_SYSTEM, "value": doctor.medical_license_number}],
        "active": doctor.is_practising,
        "name": [name],
        "telecom": [{"system": "email", "value": user.email, "use": "work"}] if user.email else None,
        "qualification": [{"code": {"text": doctor.specialization}}] if doctor.specialization else None,
    }))


def device_resource(device):
    status, reason = DEVICE_STATUS[device.status]
    return validated(Device, _without_empty({
        "resourceType": "Device", "id": str(device.pk),
        "identifier": [{"system": ASSET_SYSTEM, "value": device.asset_number}],
        "status": status,
        "statusReason": [{"coding": [{"system": DEVICE_STATUS_REASON, "code": reason}]}] if reason else None,
        "serialNumber": device.serial_number,
        "deviceName": [{"name": device.name, "type": "user-friendly-name"}],
        "manufacturer": device.manufacturer,
        "modelNumber": device.model,
        "type": {"text": device.get_category_display()},
        "patient": {"reference": f"Patient/{device.patient_id}"} if device.patient_id else None,
    }))


def observation_body(reading):
    """A heart-rate reading in the vital-signs heart-rate profile (not yet validated: the search
    validates each one, observation_resource)."""
    body = {
        "resourceType": "Observation", "id": str(reading.id),
        "meta": {"profile": [HEART_RATE_PROFILE]},
        "status": "final",
        "category": VITAL_SIGNS,
        "code": HEART_RATE_CODE,
        "subject": {"reference": f"Patient/{reading.patient_id}"},
        "effectiveDateTime": instant(reading.recorded_at),
        "valueQuantity": {"value": reading.bpm, "unit": "/min", "system": UCUM, "code": "/min"},
        "device": {"reference": f"Device/{reading.device_id}"},
    }
    if reading.device_suspect:
        body["extension"] = SUSPECT_EXTENSION
    return body


def observation_resource(reading):
    return validated(Observation, observation_body(reading))


def observation_resources(readings):
    """Many readings' Observations (a search page). Validating each with the model would be three
    quarters of the page's cost (bench/fhir.py), and they are all one template: the model
    validates the first Observation of each shape (with and without the suspect extension) on
    every page; the others differ from it only in typed values our columns guarantee (integer ids
    and bpm, an aware datetime). tests/fhir validate every Observation of a page with the model."""
    checked, bodies = set(), []
    for reading in readings:
        body = observation_body(reading)
        if reading.device_suspect not in checked:
            validated(Observation, body)
            checked.add(reading.device_suspect)
        bodies.append(body)
    return bodies


def appointment_resource(appointment):
    slot = appointment.slot
    return validated(Appointment, _without_empty({
        "resourceType": "Appointment", "id": str(appointment.pk),
        "status": APPOINTMENT_STATUS[appointment.status],
        "description": appointment.reason,
        "start": instant(slot.starts_at),
        "end": instant(_slot_end(slot)),
        "slot": [{"reference": f"Slot/{slot.pk}"}],
        "created": appointment.created_at.date().isoformat(),
        "cancelationReason": {"text": appointment.cancel_reason} if appointment.cancel_reason else None,
        "participant": [
            {"actor": {"reference": f"Patient/{appointment.patient_id}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{appointment.doctor_id}"}, "status": "accepted"},
        ],
    }))


def slot_resource(slot):
    """A doctor's time slot; its Schedule is the doctor (Schedule id = doctor profile id)."""
    return validated(Slot, {
        "resourceType": "Slot", "id": str(slot.pk),
        "schedule": {"reference": f"Schedule/{slot.doctor_id}"},
        "status": "busy" if slot.is_booked else "free",
        "start": instant(slot.starts_at),
        "end": instant(_slot_end(slot)),
    })


def _slot_end(slot):
    return timezone.make_aware(datetime.combine(slot.date, slot.end_time))
