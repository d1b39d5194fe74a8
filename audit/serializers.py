"""The audit log as an admin reads it: one entry, its object named "<app_label>.<model>" and the
actor as they were when the entry was written (name and role are copied into the row)."""

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from accounts.choices import Role
from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry

ACTOR = inline_serializer("AuditActor", {
    "id": serializers.IntegerField(help_text="The user's id (the account may since have been deleted)."),
    "name": serializers.CharField(help_text="The user's name when the entry was written."),
    "role": serializers.ChoiceField(choices=Role.choices, help_text="The user's role when the entry was written."),
}, allow_null=True)


class AuditEntrySerializer(serializers.ModelSerializer):
    action = serializers.SerializerMethodField()
    object_type = serializers.SerializerMethodField()
    patient = serializers.IntegerField(source="patient_id", allow_null=True, read_only=True,
                                       help_text="The patient the entry concerns, if any.")
    data_kind = serializers.ChoiceField(choices=DataKind.choices, allow_blank=True, read_only=True)
    changes = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    request_id = serializers.CharField(source="cid", allow_null=True, read_only=True,
                                       help_text="The request's X-Request-ID (job-<name>-<hex> for a job run).")

    class Meta:
        model = AuditEntry
        fields = ["id", "timestamp", "action", "object_type", "object_id", "object_repr", "patient", "data_kind",
                  "changes", "actor", "request_id", "remote_addr", "break_glass"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[label for _, label in AuditAction.choices]))
    def get_action(self, entry):
        return AuditAction(entry.action).label

    @extend_schema_field(serializers.CharField(help_text='"<app_label>.<model>", e.g. "clinical.patient".'))
    def get_object_type(self, entry):
        content_type = entry.content_type
        return f"{content_type.app_label}.{content_type.model}"

    @extend_schema_field({
        "type": "object",
        "additionalProperties": {"oneOf": [
            {"type": "array", "items": {}, "minItems": 2, "maxItems": 2},
            {"type": "object", "properties": {"type": {"type": "string", "enum": ["m2m"]},
                                              "operation": {"type": "string", "enum": ["add", "delete", "clear"]},
                                              "objects": {"type": "array", "items": {"type": "string"}}}},
        ]},
        "description": 'Changed fields, {"field": [old, new]} ({} for a read); free text shows "[redacted]". A '
                       'many-to-many field: {"type": "m2m", "operation": "add", "objects": [...]}.',
    })
    def get_changes(self, entry):
        return entry.changes or {}

    @extend_schema_field(ACTOR)
    def get_actor(self, entry):
        if entry.actor_id is None:
            return None  # the system: a job, a management command
        return {"id": entry.actor_id, "name": entry.actor_name, "role": entry.actor_role}


