"""Serializer pieces every app shares: scoped related fields and role-restricted writes."""

from collections.abc import Mapping

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that must carry its offset (`Z` or `+02:00`): the contract's datetimes
    are unambiguous, so a bare local time or a date is refused rather than guessed."""

    default_error_messages = {
        "naive": gettext_lazy("Give a datetime with a timezone offset, e.g. 2026-11-23T10:00:00Z."),
        "impossible": gettext_lazy("Not a real datetime ({reason}); give e.g. 2026-11-23T10:00:00Z."),
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
            return _("You may not change this field.")
        return _("This field is read-only: leave it out or send it unchanged.")

    def role_refusals(self, data):
        """{field: [message]} for the fields of `data` this caller may not set (empty: none)."""
        read_only = {name for name, field in self.fields.items() if field.read_only}
        refused = sorted(set(data) & (set(self.forbidden_fields) | read_only))
        if refused and self.instance is not None:
            current = self.to_representation(self.instance)
            refused = [name for name in refused
                       if name not in current or _comparable(current[name]) != _comparable(data[name])]
        return {name: [self._refusal(name)] for name in refused}

    def validate(self, attrs):
        refused = self.role_refusals(getattr(self, "initial_data", None) or {})
        if refused:
            raise serializers.ValidationError(refused)
        return super().validate(attrs)


UNKNOWN_FIELD = gettext_lazy("Unknown field.")
READ_ONLY_FIELD = gettext_lazy("This field is read-only.")


class StrictFieldsMixin:
    """A write serializer that refuses what it would otherwise drop: every key of the body that is
    not one of its writable fields is a 400 naming it, reported together with the other field
    errors, and nothing is stored.

    - A field the resource shows but nobody writes (a field of `resource_serializer`, the route's
      read shape: id, created_at, a derived state...) answers "This field is read-only." On an
      update, sending it back with the value it has now (a client PUTting what it read) is fine,
      as RoleRestrictedFieldsMixin does for its fields.
      `read_only_messages = {field: message}` says what to do instead, where there is a way.
    - Any other key answers "Unknown field."
    - With RoleRestrictedFieldsMixin also in the class, its fields (`forbidden_fields`: written by
      another role) keep its messages ("You may not change this field."), in the same answer.

    A multipart upload's file field (a `photo`) is a writable field like any other."""

    resource_serializer = None  # the route's read serializer class: its fields are "read-only" here
    read_only_messages = {}  # {field: message} where a read-only field has another way to change it

    def _writable_names(self):
        return {name for name, field in self.fields.items() if not field.read_only}

    def _resource_names(self):
        return set(self.resource_serializer().fields) if self.resource_serializer is not None else set()

    def _unchanged(self, names, data):
        """The `names` whose value in `data` equals the instance's current one (update only)."""
        if self.instance is None or not names or self.resource_serializer is None:
            return set()
        current = self.resource_serializer(self.instance, context=self.context).data
        return {name for name in names
                if name in current and _comparable(current[name]) == _comparable(data[name])}

    def strict_field_errors(self, data):
        role_fields = set(getattr(self, "forbidden_fields", ()))
        extra = [key for key in data if key not in self._writable_names() and key not in role_fields]
        read_only = {key for key in extra if key in self._resource_names() or key in self.fields}
        extra = [key for key in extra if key not in self._unchanged(read_only, data)]
        errors = {str(key): [self.read_only_messages.get(key, READ_ONLY_FIELD) if key in read_only
                             else UNKNOWN_FIELD] for key in extra}
        if hasattr(self, "role_refusals"):
            errors.update(self.role_refusals(data))
        return errors

    def to_internal_value(self, data):
        errors = self.strict_field_errors(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not errors:
                raise
            detail = exc.detail if isinstance(exc.detail, dict) else {api_settings.NON_FIELD_ERRORS_KEY: exc.detail}
            raise serializers.ValidationError({**detail, **errors}) from exc
        if errors:
            raise serializers.ValidationError(errors)
        return value


class StrictCharField(serializers.CharField):
    """A JSON string only: a number or a boolean is a 400, not turned into its text."""

    default_error_messages = {"invalid": gettext_lazy("Must be a string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class IndexedListField(serializers.ListField):
    """A ListField whose item errors read like every other nested error here: "[i] message"
    (DRF's own shape, {i: [messages]}, would print as "i: message")."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError(
                    [f"[{index}] {message}" for index, messages in sorted(exc.detail.items())
                     for message in (messages if isinstance(messages, list) else [messages])]) from exc
            raise
