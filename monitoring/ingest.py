"""Parse and validate a batch of readings in one flat pass (the hot path: no serializer per item).

A batch is one reading object, a list of up to MAX_BATCH of them, or {"readings": [...]}. The first
bad item rejects the whole batch: a 400 whose `errors` key names the item's index and field
(`items[3].bpm`; plain `bpm` for a single object). Database look-ups are one query for the
devices and one for the patients, whatever the batch size.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from rest_framework.exceptions import PermissionDenied, ValidationError

from clinical.models import Patient
from devices.choices import DeviceCategory
from devices.models import Device
from monitoring.choices import BPM_MAX, BPM_MIN, FUTURE_SKEW_SECONDS, MAX_BATCH


@dataclass(frozen=True, slots=True)
class ParsedReading:
    device_id: int
    patient_id: int
    bpm: int
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Batch:
    readings: list  # ParsedReading, first occurrence of each (device, recorded_at)
    received: int


class _Errors:
    def __init__(self, single):
        self.single = single

    def fail(self, index, field, message):
        key = field if self.single else f"items[{index}].{field}"
        prefix = "" if self.single else f"Item {index}: "
        raise ValidationError({key: [f"{prefix}{message}"]})


def _items(payload):
    if isinstance(payload, dict) and isinstance(payload.get("readings"), list):
        return payload["readings"], False
    if isinstance(payload, dict):
        return [payload], True
    if isinstance(payload, list):
        return payload, False
    raise ValidationError({"non_field_errors": ["Send one reading object or a list of readings."]})


def _integer(value):
    # JSON true/false are ints to Python; a reading's numbers must be real integers.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _timestamp(value, latest):
    if not isinstance(value, str):
        return None, "recorded_at must be an ISO 8601 datetime string."
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, "recorded_at is not a valid ISO 8601 datetime."
    if moment.tzinfo is None:
        return None, "recorded_at needs a timezone offset (e.g. Z or +00:00)."
    if moment > latest:
        return None, f"recorded_at lies in the future (more than {FUTURE_SKEW_SECONDS} s ahead)."
    return moment, None


def parse_batch(payload, *, user, device_key=None):
    """Validate everything, or raise before anything is stored.

    `device_key` is set when a bedside device authenticated with its API key: it may omit
    `device`, and may post only for its own device and that device's assigned patient (403).
    """
    items, single = _items(payload)
    errors = _Errors(single)
    if not items:
        raise ValidationError({"non_field_errors": ["The batch is empty."]})
    if len(items) > MAX_BATCH:
        raise ValidationError({"non_field_errors": [f"At most {MAX_BATCH} readings per request."]})

    latest = timezone.now() + timedelta(seconds=FUTURE_SKEW_SECONDS)
    key_device = device_key.device_id if device_key else None
    raw = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.fail(index, "non_field_errors", "Each reading must be an object.")
        device_id = item.get("device", key_device)
        if _integer(device_id) is None:
            errors.fail(index, "device", "device is required and must be an integer id.")
        patient_id = item.get("patient")
        if patient_id is not None and _integer(patient_id) is None:
            errors.fail(index, "patient", "patient must be an integer id.")
        bpm = _integer(item.get("bpm"))
        if bpm is None or not BPM_MIN <= bpm <= BPM_MAX:
            errors.fail(index, "bpm", f"bpm must be an integer from {BPM_MIN} to {BPM_MAX}.")
        recorded_at, problem = _timestamp(item.get("recorded_at"), latest)
        if problem:
            errors.fail(index, "recorded_at", problem)
        raw.append((index, device_id, patient_id, bpm, recorded_at))

    devices = {
        pk: (category, assigned)
        for pk, category, assigned in Device.objects.filter(pk__in={r[1] for r in raw})
        .values_list("pk", "category", "patient_id")
    }
    rows = []
    for index, device_id, patient_id, bpm, recorded_at in raw:
        if device_key and device_id != key_device:
            raise PermissionDenied(f"Item {index}: this API key may only post readings for its own device.")
        if device_id not in devices:
            errors.fail(index, "device", f"Unknown device {device_id}.")
        category, assigned_patient = devices[device_id]
        if category != DeviceCategory.MONITOR:
            errors.fail(index, "device", f"Device {device_id} is not a monitor.")
        if device_key and patient_id is not None and patient_id != assigned_patient:
            raise PermissionDenied(f"Item {index}: a device may only post for the patient assigned to it.")
        patient_id = patient_id if patient_id is not None else assigned_patient
        if patient_id is None:
            errors.fail(index, "patient", f"Device {device_id} has no assigned patient; give `patient`.")
        rows.append((index, device_id, patient_id, bpm, recorded_at))

    # Devices post for their own assigned patient; staff only for patients they may see.
    visible = Patient.objects.all() if device_key else Patient.objects.visible_to(user)
    known = set(visible.filter(pk__in={r[2] for r in rows}).values_list("pk", flat=True))
    readings, seen = [], set()
    for index, device_id, patient_id, bpm, recorded_at in rows:
        if patient_id not in known:
            errors.fail(index, "patient", f"Unknown patient {patient_id}.")
        if (device_id, recorded_at) not in seen:  # a repeat inside the batch counts as a duplicate
            seen.add((device_id, recorded_at))
            readings.append(ParsedReading(device_id, patient_id, bpm, recorded_at))
    return Batch(readings, len(items))
