"""Search parameter values: references (`patient=12`, `patient=Patient/12`), tokens
(`system|code`, `code`, `|code`) and dates with FHIR's prefixes (`ge`, `gt`, `le`, `lt`, `eq`).
A value that cannot be read is a 400 OperationOutcome naming the parameter."""

import re
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from fhir.outcome import FhirError

_ID = re.compile(r"^\d{1,18}$")
_PARTIAL_DATE = re.compile(r"^(?P<year>\d{4})(-(?P<month>\d{2})(-(?P<day>\d{2}))?)?$")
PREFIXES = ("ge", "gt", "le", "lt", "eq")


def reference_id(name, value, resource_type):
    """The id in `12` or `ResourceType/12` (or a full URL ending so), or a 400."""
    tail = value.rstrip("/").rsplit("/", 2)
    if len(tail) >= 2 and tail[-2] != resource_type:
        raise FhirError(f"{name} must reference a {resource_type} ({resource_type}/<id> or <id>).")
    if not _ID.match(tail[-1]):
        raise FhirError(f"{name}={value[:60]} is not a {resource_type} id.")
    return int(tail[-1])


def token(value):
    """(system or None, code): `system|code`, `|code` (no system: ''), or `code` (any system: None)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def token_matches(value, system, code):
    wanted_system, wanted_code = token(value)
    return wanted_code == code and wanted_system in (None, system)


def one(request, name):
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise FhirError(f"{name} may be given once.")
    return values[0] if values else None


def date_condition(field, values):
    """A Q over `field` for every `date` value (all must hold). A date without a time stands for
    the whole day (UTC); a date-time without an offset is UTC."""
    condition = Q()
    for value in values:
        prefix, text = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
        start, end = _range(text)
        condition &= {
            "ge": Q(**{f"{field}__gte": start}),
            "gt": Q(**{f"{field}__gte": end}) if end != start else Q(**{f"{field}__gt": start}),
            "le": Q(**{f"{field}__lt": end}) if end != start else Q(**{f"{field}__lte": start}),
            "lt": Q(**{f"{field}__lt": start}),
            "eq": Q(**{f"{field}__gte": start, f"{field}__lt": end}) if end != start else Q(**{field: start}),
        }[prefix]
    return condition


def _range(text):
    """[start, end) of a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD: the whole period, UTC) or dateTime
    value (the point [t, t])."""
    text = text.replace(" ", "+")  # an offset's "+" sent unescaped in the query string
    period = _PARTIAL_DATE.match(text)
    try:
        if period:
            year, month, day = int(period["year"]), int(period["month"] or 1), int(period["day"] or 1)
            start = datetime(year, month, day, tzinfo=UTC)
            if period["day"]:
                return start, start + timedelta(days=1)
            if period["month"]:
                return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            return start, datetime(year + 1, 1, 1, tzinfo=UTC)
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is not None:
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment, moment
    raise FhirError(f"date={text[:60]} is not a FHIR date or dateTime (e.g. ge2026-01-31 or "
                    "le2026-01-31T12:00:00Z).")
