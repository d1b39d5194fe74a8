"""Parse and validate a batch of readings in one flat pass (the hot path: no serializer per item).

A batch is one reading object, a list of up to MAX_BATCH of them, or {"readings": [...]}. The first
bad item rejects the whole batch: a 400 whose `errors` key names the item's index and field
(`items[3].bpm`; plain `bpm` for a single object). Database look-ups are one query for the
devices (none for a device key posting for its own device: the key brought it) and, for an admin,
one for the patients, whatever the batch size.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from accounts.choices import Role
from clinical.models import Patient
from core.filters import MAX_ID
from devices.choices import DeviceCategory
from devices.models import Device
from monitoring.choices import BPM_MAX, BPM_MIN, FUTURE_SKEW_SECONDS, MAX_BATCH

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # older timestamps are a device clock error

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


class _Refused(PermissionDenied):
    """403 that also names the item's field in `errors`, like a 400 does."""

    def __init__(self, message, errors):
        super().__init__(message)
        self.errors = errors


class _Errors:
    """One place that names what is wrong: `bpm` for a single object, `items[3].bpm` and the message
    prefix `Item 3: ` in a batch."""

    def __init__(self, single):
        self.single = single

    def _name(self, index, field, message):
        if self.single:
            return field, message
        return f"items[{index}].{field}", _("Item %(index)s: %(message)s") % {"index": index, "message": message}

    def fail(self, index, field, message):
        key, message = self._name(index, field, message)
        raise ValidationError({key: [message]})

    def deny(self, index, field, message):
        key, message = self._name(index, field, message)
        raise _Refused(message, {key: [message]})


def _items(payload):
    if isinstance(payload, dict) and isinstance(payload.get("readings"), list):
        return payload["readings"], False
    if isinstance(payload, dict):
        return [payload], True
    if isinstance(payload, list):
        return payload, False
    raise ValidationError({"non_field_errors": [_("Send one reading object or a list of readings.")]})


def _integer(value, low=1, high=MAX_ID):
    # JSON true/false are ints to Python; a reading's numbers must be real integers in range.
    return value if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high else None


def _timestamp(value, latest):
    if not isinstance(value, str) or not value.isprintable():
        return None, _("recorded_at must be an ISO 8601 datetime string.")
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return None, _("recorded_at needs a timezone offset (e.g. Z or +00:00).")
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None, _("recorded_at is not a valid ISO 8601 datetime.")
    if moment < EARLIEST:
        return None, _("recorded_at lies before %(date)s.") % {"date": f"{EARLIEST:%Y-%m-%d}"}
    if moment > latest:
        return None, _("recorded_at lies in the future (more than %(seconds)s s ahead).") % {
            "seconds": FUTURE_SKEW_SECONDS}
    return moment, None


def _devices(ids, user, is_admin, device_key):
    """{device id: (category, assigned patient)} of the devices the caller may post for, among ids.
    A device key whose device came with it (monitoring.authentication) costs no query."""
    known = getattr(device_key, "device", None)
    if known is not None and ids == {known.pk}:
        return {known.pk: (known.category, known.patient_id)}
    devices = Device.objects.filter(pk__in=ids)
    if not (is_admin or device_key):
        devices = devices.filter(patient__in=Patient.objects.in_care_of(user).values("pk"))
    return {pk: (category, assigned) for pk, category, assigned in devices.values_list("pk", "category", "patient_id")}


def parse_batch(payload, *, user, device_key=None):
    """Validate everything, or raise before anything is stored.

    Who may post what:
    - a device key (`device_key`): its own device only, for that device's assigned patient (403
      otherwise); it may omit `device`;
    - a doctor or nurse: the monitors of patients in their scope, for the assigned patient (any
      other monitor is an unknown device, 400);
    - an admin: any monitor, for any patient (default: the monitor's assigned patient).
    """
    items, single = _items(payload)
    errors = _Errors(single)
    if not items:
        raise ValidationError({"non_field_errors": [_("The batch is empty.")]})
    if len(items) > MAX_BATCH:
        message = _("At most %(count)s readings per request.") % {"count": MAX_BATCH}
        raise ValidationError({"non_field_errors": [message]})

    latest = timezone.now() + timedelta(seconds=FUTURE_SKEW_SECONDS)
    key_device = device_key.device_id if device_key else None
    raw = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.fail(index, "non_field_errors", _("Each reading must be an object."))
        device_id = item.get("device", key_device)
        if _integer(device_id) is None:
            errors.fail(index, "device", _("device is required and must be an integer id."))
        patient_id = item.get("patient")
        if patient_id is not None and _integer(patient_id) is None:
            errors.fail(index, "patient", _("patient must be an integer id."))
        bpm = _integer(item.get("bpm"), BPM_MIN, BPM_MAX)
        if bpm is None:
            errors.fail(index, "bpm", _("bpm must be an integer from %(min)s to %(max)s.") % {
                "min": BPM_MIN, "max": BPM_MAX})
        recorded_at, problem = _timestamp(item.get("recorded_at"), latest)
        if problem:
            errors.fail(index, "recorded_at", problem)
        raw.append((index, device_id, patient_id, bpm, recorded_at))

    is_admin = device_key is None and getattr(user, "role", None) == Role.ADMIN
    devices = _devices({r[1] for r in raw}, user, is_admin, device_key)
    rows = []
    for index, device_id, patient_id, bpm, recorded_at in raw:
        if device_key and device_id != key_device:
            errors.deny(index, "device", _("This API key may only post readings for its own device."))
        if device_id not in devices:
            errors.fail(index, "device", _("Unknown device %(id)s.") % {"id": device_id})
        category, assigned_patient = devices[device_id]
        if category != DeviceCategory.MONITOR:
            errors.fail(index, "device", _("Device %(id)s is not a monitor.") % {"id": device_id})
        if not is_admin and patient_id is not None and patient_id != assigned_patient:
            if device_key:
                errors.deny(index, "patient", _("A device may only post for the patient assigned to it."))
            errors.fail(index, "patient", _("Monitor %(id)s is assigned to another patient.") % {"id": device_id})
        patient_id = patient_id if patient_id is not None else assigned_patient
        if patient_id is None:
            message = (_("Device %(id)s has no assigned patient; assign it to a patient first.") if not is_admin
                       else _("Device %(id)s has no assigned patient; give `patient`."))
            errors.fail(index, "patient", message % {"id": device_id})
        rows.append((index, device_id, patient_id, bpm, recorded_at))

    # Only an admin names a patient other than the monitor's own: check that one exists.
    requested = {r[2] for r in rows}
    known = set(Patient.objects.filter(pk__in=requested).values_list("pk", flat=True)) if is_admin else requested
    readings, seen = [], set()
    for index, device_id, patient_id, bpm, recorded_at in rows:
        if patient_id not in known:
            errors.fail(index, "patient", _("Unknown patient %(id)s.") % {"id": patient_id})
        if (device_id, recorded_at) not in seen:  # a repeat inside the batch counts as a duplicate
            seen.add((device_id, recorded_at))
            readings.append(ParsedReading(device_id, patient_id, bpm, recorded_at))
    return Batch(readings, len(items))
