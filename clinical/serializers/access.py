"""Break-glass grants, and a patient's access log (the audit entries about them, as they may see them)."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.choices import AuditAction, DataKind
from clinical.models import BreakGlassGrant
from core.serializers import StrictCharField, StrictFieldsMixin, display_name


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    role = serializers.CharField()

    def get_name(self, user) -> str:
        return display_name(user)


class BreakGlassGrantSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)
    revoked_by = PersonSerializer(read_only=True, allow_null=True)
    is_live = serializers.BooleanField(read_only=True)

    class Meta:
        model = BreakGlassGrant
        fields = ["id", "patient", "user", "reason", "created_at", "expires_at", "revoked_at", "revoked_by",
                  "is_live"]
        read_only_fields = fields


class BreakGlassReasonSerializer(StrictFieldsMixin, serializers.Serializer):
    resource_serializer = BreakGlassGrantSerializer  # sending expires_at is "read-only": a grant is never extended
    reason = StrictCharField(max_length=2000, help_text="Why this patient must be reached now: at least 10 "
                                                    "characters (shown to admins with the grant).")


class RevokeBodySerializer(StrictFieldsMixin, serializers.Serializer):
    """A revoke takes no body: every key sent is a 400 naming it (revoked_at is now, by the caller)."""

    resource_serializer = BreakGlassGrantSerializer


class AccessWhoSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()


class AccessLogEntrySerializer(serializers.Serializer):
    """Who (name and role, null for the system), when, what kind of data, whether under break-glass:
    no staff ids, addresses or changed values."""

    id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    action = serializers.SerializerMethodField()
    data_kind = serializers.ChoiceField(choices=DataKind.choices)
    who = serializers.SerializerMethodField()
    break_glass = serializers.BooleanField()

    @extend_schema_field(serializers.ChoiceField(choices=[action.label for action in AuditAction]))
    def get_action(self, entry):
        return AuditAction(entry.action).label

    @extend_schema_field(AccessWhoSerializer(allow_null=True))
    def get_who(self, entry):
        if not entry.actor_name and entry.actor_id is None:
            return None  # a job or a command
        return {"name": entry.actor_name, "role": entry.actor_role}
