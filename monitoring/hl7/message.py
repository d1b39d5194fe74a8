"""An ORU^R01 message read into heart-rate observations, or the Problem that makes it an AE.

python-hl7 parses (hl7.parse); this module only reads fields. Which OBX segments count: OBX-3's
identifier is LOINC 8867-4 or MDC 147842 (whatever coding-system label follows it); other OBX
segments (SpO2, respiration...) are ignored, and so is an OBX whose OBX-11 result status is X, D or
W (cannot be obtained, deleted, wrong). Units (OBX-6) must be /min or {beats}/min; the value
is OBX-5; the time OBX-14, else OBR-7 of the OBR above it, else MSH-7; the device OBX-18
(equipment instance identifier), else MSH-3 (sending application).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import hl7
from django.conf import settings

HEART_RATE_CODES = frozenset({"8867-4", "147842"})  # LOINC; ISO/IEEE 11073 MDC_ECG_HEART_RATE
HEART_RATE_UNITS = frozenset({"/min", "{beats}/min"})
# OBX-11 (HL7 table 0085): results that cannot be obtained (X), deleted (D) or wrong (W) are no readings.
NOT_A_RESULT = frozenset({"X", "D", "W"})
# YYYYMMDDHHMM[SS[.S[S[S[S]]]]][+/-ZZZZ]: at least minutes (a reading's instant is its identity).
_DTM = re.compile(r"\d{12}(\d{2}(\.\d{1,4})?)?([+-]\d{4})?")

# HL7 table 0357 (message error condition codes) used in ERR-3.
REQUIRED_FIELD_MISSING = ("101", "Required field missing")
DATA_TYPE_ERROR = ("102", "Data type error")
TABLE_VALUE_NOT_FOUND = ("103", "Table value not found")
UNSUPPORTED_MESSAGE_TYPE = ("200", "Unsupported message type")
UNKNOWN_KEY = ("204", "Unknown key identifier")
INTERNAL_ERROR = ("207", "Application internal error")


class Unparseable(ValueError):
    """The block is not an HL7 message (AR)."""


class Problem(Exception):
    """What makes a message an AE: the HL7 error code, where (segment, its ordinal, field) and why."""

    def __init__(self, condition, text, segment="MSH", ordinal=1, field=None):
        super().__init__(text)
        self.condition, self.text = condition, text
        self.location = (segment, ordinal, field)


@dataclass(frozen=True, slots=True)
class HeartRate:
    ordinal: int  # the OBX's position among the message's OBX segments (1-based)
    bpm: int
    recorded_at: datetime
    time_field: tuple  # (segment, ordinal, field) the time came from, for an ERR
    device: str  # the equipment identifier
    device_field: tuple  # (segment, ordinal, field) it came from


def parse(text):
    """hl7.parse, with its exceptions for a block that is not a message turned into Unparseable."""
    text = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r")
    if not text.startswith("MSH") or len(text) < 8:
        raise Unparseable("The block does not start with an MSH segment.")
    try:
        message = hl7.parse(text)
        message.segment("MSH")
    # python-hl7 also fails with assertions and index errors on a broken MSH (encoding characters,
    # too few fields): whatever it raises, the block could not be parsed.
    except Exception as exc:
        raise Unparseable(f"Not an HL7 v2 message: {type(exc).__name__} {exc}.") from exc
    return message


def value(segment, field, component=1, repetition=1):
    """A field's component as text ("" when absent), like python-hl7's extract_field but never raising."""
    try:
        return str(segment.extract_field(1, field, repetition, component, 1))
    except IndexError:
        return ""


def heart_rates(message):
    """The heart-rate observations of an ORU^R01, or raise Problem (nothing is stored then)."""
    msh = message.segment("MSH")
    kind = (value(msh, 9, 1), value(msh, 9, 2))
    if kind != ("ORU", "R01"):
        raise Problem(UNSUPPORTED_MESSAGE_TYPE, f"Only ORU^R01 is accepted, not {'^'.join(kind).strip('^') or 'none'}.",
                      field=9)
    header_time, sender = value(msh, 7), value(msh, 3)
    found, obr_time, obr_at, obx_ordinal, obr_ordinal = [], "", None, 0, 0
    for segment in message:
        name = str(segment[0])
        if name == "OBR":
            obr_ordinal += 1
            obr_time = value(segment, 7)
            obr_at = ("OBR", obr_ordinal, 7)
        elif name == "OBX":
            obx_ordinal += 1
            if value(segment, 3) in HEART_RATE_CODES and value(segment, 11) not in NOT_A_RESULT:
                fallback = (obr_time, obr_at) if obr_time else (header_time, ("MSH", 1, 7))
                found.append(_observation(segment, obx_ordinal, fallback, sender))
    if not found:
        raise Problem(REQUIRED_FIELD_MISSING, "No heart-rate OBX (OBX-3 LOINC 8867-4 or MDC 147842).", "OBX", 1, 3)
    return found


def _observation(obx, ordinal, fallback, sender):
    unit = value(obx, 6)
    if unit not in HEART_RATE_UNITS:
        raise Problem(TABLE_VALUE_NOT_FOUND, f"OBX {ordinal}: heart-rate units must be /min or {{beats}}/min, "
                      f"not {unit or 'none'}.", "OBX", ordinal, 6)
    bpm = _integer(value(obx, 5))
    if bpm is None:
        raise Problem(DATA_TYPE_ERROR, f"OBX {ordinal}: the value must be a whole number of beats per minute.",
                      "OBX", ordinal, 5)
    own_time = value(obx, 14)
    time_text, time_field = (own_time, ("OBX", ordinal, 14)) if own_time else fallback
    recorded_at = _moment(time_text)
    if recorded_at is None:
        raise Problem(DATA_TYPE_ERROR, f"OBX {ordinal}: no valid observation time (OBX-14, OBR-7 or MSH-7 as "
                      "YYYYMMDDHHMM[SS[.SSSS]][+/-ZZZZ]).", *time_field)
    equipment = value(obx, 18)
    device, device_field = (equipment, ("OBX", ordinal, 18)) if equipment else (sender, ("MSH", 1, 3))
    if not device:
        raise Problem(REQUIRED_FIELD_MISSING, f"OBX {ordinal}: no equipment identifier (OBX-18 or MSH-3).",
                      "OBX", ordinal, 18)
    return HeartRate(ordinal, bpm, recorded_at, time_field, device, device_field)


def _integer(text):
    """"72" or "72.0" -> 72; anything else (72.5, "", "abc") -> None. The range is the ingest's rule."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None


def _moment(text):
    """An HL7 DTM (python-hl7 reads it) as an aware datetime; without an offset it is in TIME_ZONE."""
    if not _DTM.fullmatch(text):
        return None
    try:
        moment = hl7.parse_datetime(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment.astimezone(UTC)
