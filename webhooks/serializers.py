from rest_framework import serializers

from core.serializers import StrictCharField, StrictFieldsMixin
from webhooks.choices import SECRET_MAX_LENGTH, SECRET_MIN_LENGTH, EventType
from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """What admins read. The secret is never shown after the create's answer."""

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "event_types", "is_active", "description", "created_by", "created_at", "updated_at"]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The create's answer: the endpoint and, this once, its secret (given or generated)."""

    secret = serializers.CharField(read_only=True, help_text="Shown only here: store it in the receiver.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Admin writes: `url` https:// (http:// with DEBUG on), `event_types` a non-empty subset of the
    live-event types about objects, `secret` optional (generated: 64 hex digits) and write-only."""

    resource_serializer = WebhookEndpointSerializer
    url = serializers.URLField(max_length=WebhookEndpoint._meta.get_field("url").max_length,
                               validators=WebhookEndpoint._meta.get_field("url").validators)
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False,
                                        validators=WebhookEndpoint._meta.get_field("event_types").validators)
    secret = StrictCharField(write_only=True, required=False, min_length=SECRET_MIN_LENGTH,
                             max_length=SECRET_MAX_LENGTH, trim_whitespace=False,
                             help_text="The HMAC-SHA256 key; omit it to have one generated (shown once).")
    description = StrictCharField(required=False, allow_blank=True, max_length=200)

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "event_types", "secret", "is_active", "description"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "delivery_id", "event_type", "status", "attempts", "last_response_code", "last_error",
                  "next_attempt_at", "first_attempt_at", "delivered_at", "created_at", "payload"]
        read_only_fields = fields
