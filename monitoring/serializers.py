from django.utils.translation import gettext as _
from rest_framework import serializers

from audit.choices import DataKind
from audit.reads import AuditedReadMixin
from core.serializers import AwareDateTimeField
from monitoring.choices import BUCKETS, MAX_BATCH
from monitoring.ingest import EARLIEST
from monitoring.models import Alert, DeviceApiKey, Reading


class ReadingInSerializer(serializers.Serializer):
    """Documentation of one reading for Swagger; ingest itself validates in monitoring.ingest."""

    device = serializers.IntegerField(required=False, help_text="Required unless sent with a device API key.")
    patient = serializers.IntegerField(required=False, help_text="Defaults to the device's assigned patient.")
    bpm = serializers.IntegerField(min_value=20, max_value=300)
    recorded_at = serializers.DateTimeField(help_text="ISO 8601 with an offset; at most 5 s in the future.")


class IngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text=f"Readings in the request (at most {MAX_BATCH}).")
    created = serializers.IntegerField(help_text="New readings stored.")
    duplicates = serializers.IntegerField(help_text="Readings already stored (same device and instant).")


class ReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reading
        fields = ["id", "device", "patient", "bpm", "recorded_at", "device_suspect"]


class HistoryQuerySerializer(serializers.Serializer):
    # `from` is a Python keyword, so the fields are declared under their query names below.
    bucket = serializers.ChoiceField(choices=sorted(BUCKETS), required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = AwareDateTimeField(required=False)
        fields["to"] = AwareDateTimeField(required=False)
        return fields

    def validate(self, attrs):
        for name in ("from", "to"):
            if name in attrs and attrs[name] < EARLIEST:
                message = _("Use a time after %(date)s.") % {"date": f"{EARLIEST:%Y-%m-%d}"}
                raise serializers.ValidationError({name: [message]})
        if attrs.get("from") and attrs.get("to") and attrs["from"] >= attrs["to"]:
            raise serializers.ValidationError({"to": [_("`to` must be after `from`.")]})
        return attrs


class BucketSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    min = serializers.IntegerField()
    max = serializers.IntegerField()
    avg = serializers.FloatField()
    count = serializers.IntegerField()
    suspect_count = serializers.IntegerField(help_text="Readings in the bucket from a suspect monitor "
                                                       "(see `device_suspect`).")


class BucketHistorySerializer(serializers.Serializer):
    patient = serializers.IntegerField()
    bucket = serializers.CharField()
    source = serializers.ChoiceField(choices=["raw", "rollup"])
    results = BucketSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField()
        fields["to"] = serializers.DateTimeField()
        return fields


class AlertSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.ALERTS, "patient_id")
    class Meta:
        model = Alert
        fields = [
            "id", "patient", "device", "kind", "severity", "status", "first_value", "last_value", "peak_value",
            "breach_count", "opened_at", "last_breach_at", "acknowledged_by", "acknowledged_at", "resolved_by",
            "resolved_at", "note", "device_suspect", "escalation_level", "escalated_at", "work_order",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "device_suspect": {"help_text": "Opened from readings of a suspect monitor (open corrective work "
                                            "order, not active, or calibration overdue)."},
            "escalation_level": {"help_text": "0 until the alert escalates; at most 3."},
            "work_order": {"help_text": "A device_offline alert's corrective work order."},
        }


class AlertResolveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class DeviceApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = DeviceApiKey
        fields = ["id", "device", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "device", "prefix", "created_at", "last_used_at", "revoked_at"]


class IssuedApiKeySerializer(DeviceApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once: store it on the device now.")

    class Meta(DeviceApiKeySerializer.Meta):
        fields = [*DeviceApiKeySerializer.Meta.fields, "key"]
