"""Serializer pieces every app shares: scoped related fields and role-restricted writes."""

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that must carry its offset (`Z` or `+02:00`): the contract's datetimes
    are unambiguous, so a bare local time or a date is refused rather than guessed."""

    default_error_messages = {
        "naive": "Give a datetime with a timezone offset, e.g. 2026-11-23T10:00:00Z.",
        "impossible": "Not a real datetime ({reason}); give e.g. 2026-11-23T10:00:00Z.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            # Well-formed but impossible values (February 30, hour 25, year 0, offset +25:00) make
            # parse_datetime raise ValueError rather than answer None.
            try:
                parsed = parse_datetime(value)
            except ValueError as exc:
                reason = "the offset must lie within ±24 hours" if "offset" in str(exc) else str(exc)
                self.fail("impossible", reason=reason)
            if parsed is None or parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


def display_name(user):
    return (user.get_full_name() or user.username) if user else None


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related field whose choices are what the caller may point at: `scope(user)` -> queryset.
    An id outside that scope is refused exactly like a missing one."""

    def __init__(self, scope, **kwargs):
        self.scope = scope
        kwargs.setdefault("pk_field", serializers.IntegerField())  # 1.5 is not id 1
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)


def _comparable(value):
    if isinstance(value, list | tuple):
        return sorted(str(item) for item in value)
    return None if value in (None, "") else str(value)


class RoleRestrictedFieldsMixin:
    """A write serializer for a restricted role (an engineer on a device, a patient on their own
    record, anyone on their own profile): a field the caller may not set is refused (400 naming
    it) rather than silently ignored, so nobody believes it changed. Refused are the
    `forbidden_fields` (written by other roles) and every read-only field of the serializer.
    Sending a field back unchanged (a client PUTting what it read) is fine.
    `forbidden_messages = {field: message}` says what to do instead, where there is a way."""

    forbidden_fields = ()
    forbidden_messages = {}

    def _refusal(self, name):
        if name in self.forbidden_messages:
            return self.forbidden_messages[name]
        if name in self.forbidden_fields:
            return "You may not change this field."
        return "This field is read-only: leave it out or send it unchanged."

    def validate(self, attrs):
        data = getattr(self, "initial_data", None) or {}
        read_only = {name for name, field in self.fields.items() if field.read_only}
        refused = sorted(set(data) & (set(self.forbidden_fields) | read_only))
        if refused and self.instance is not None:
            current = self.to_representation(self.instance)
            refused = [name for name in refused
                       if name not in current or _comparable(current[name]) != _comparable(data[name])]
        if refused:
            raise serializers.ValidationError({name: [self._refusal(name)] for name in refused})
        return super().validate(attrs)
