"""A message's heart-rate observations stored through the same ingest as POST /api/records/.

The devices are found by equipment identifier (an asset number first, it is unique; else a serial
number, which must then name one device). Then each device's readings are validated by
monitoring.ingest.parse_batch exactly as if that monitor had posted them with its own device key
(its assigned patient; the same value, time, monitor and patient rules), and all of them are stored
by one monitoring.services.readings_ingest call: one transaction, idempotent per device and instant,
rollup, suspect flag and alert rules included, counted in /metrics under source="hl7". A rule
broken anywhere stores nothing.
"""

import re
from dataclasses import dataclass

from django.db.models import Q
from rest_framework.exceptions import PermissionDenied, ValidationError

from devices.models import Device
from monitoring import services
from monitoring.hl7.message import DATA_TYPE_ERROR, INTERNAL_ERROR, UNKNOWN_KEY, Problem
from monitoring.ingest import Batch, parse_batch

_ITEM_KEY = re.compile(r"items\[(\d+)\]\.(\w+)")
_ITEM_PREFIX = re.compile(r"^Item \d+: ")


@dataclass(frozen=True)
class _MonitorKey:
    """What parse_batch reads from a device key: the device the readings belong to."""

    device_id: int


def readings_store(observations):
    """Store the observations (message.HeartRate) or raise Problem. Answers an IngestResult."""
    devices = _devices(observations)
    readings, received = [], 0
    for device_id, group in devices.items():
        batch = _validated(device_id, group)
        readings += batch.readings
        received += batch.received
    return services.readings_ingest(Batch(readings, received), source="hl7")  # /metrics: counted on commit


def _devices(observations):
    """{device id: [observations]} in message order, or Problem for an identifier that names no device."""
    identifiers = {o.device for o in observations}
    rows = Device.objects.filter(Q(asset_number__in=identifiers) | Q(serial_number__in=identifiers)).values_list(
        "pk", "asset_number", "serial_number")
    by_asset = {asset: pk for pk, asset, _serial in rows}
    by_serial = {}
    for pk, _asset, serial in rows:
        by_serial.setdefault(serial, set()).add(pk)
    grouped = {}
    for o in observations:
        pk = by_asset.get(o.device)
        if pk is None:
            matches = by_serial.get(o.device, set())
            if len(matches) != 1:
                why = "no device has this serial or asset number" if not matches else \
                    "several devices have this serial number; send the asset number"
                raise Problem(UNKNOWN_KEY, f"OBX {o.ordinal}: unknown device {o.device}: {why}.", *o.device_field)
            (pk,) = matches
        grouped.setdefault(pk, []).append(o)
    return grouped


def _validated(device_id, group):
    items = [{"device": device_id, "bpm": o.bpm, "recorded_at": o.recorded_at.isoformat()} for o in group]
    try:
        return parse_batch(items, user=None, device_key=_MonitorKey(device_id))
    except (ValidationError, PermissionDenied) as exc:
        raise _problem(exc, group) from exc


def _problem(exc, group):
    """The ingest's first error, said of the OBX it concerns and the field it came from."""
    detail = getattr(exc, "errors", None) or exc.detail
    key, messages = next(iter(detail.items())) if isinstance(detail, dict) else ("", [str(detail)])
    text = _ITEM_PREFIX.sub("", str(messages[0] if isinstance(messages, list) else messages))
    found = _ITEM_KEY.fullmatch(key)
    if not found:
        return Problem(INTERNAL_ERROR, text)
    o, field = group[int(found.group(1))], found.group(2)
    if field == "bpm":
        return Problem(DATA_TYPE_ERROR, f"OBX {o.ordinal}: {text}", "OBX", o.ordinal, 5)
    if field == "recorded_at":
        return Problem(DATA_TYPE_ERROR, f"OBX {o.ordinal}: {text}", *o.time_field)
    # device (not a monitor) or patient (the monitor has no assigned patient)
    return Problem(INTERNAL_ERROR, f"OBX {o.ordinal} (device {o.device}): {text}", *o.device_field)
