"""Outbound webhook endpoints (admin configuration) and their delivery log (docs/webhooks.md)."""

import secrets
import uuid

from django.conf import settings
from django.db import models

from webhooks.choices import ERROR_MAX_LENGTH, SECRET_MAX_LENGTH, URL_MAX_LENGTH, DeliveryStatus
from webhooks.validators import validate_event_types, validate_webhook_url


def new_secret():
    return secrets.token_hex(32)


class WebhookEndpoint(models.Model):
    """A receiver an admin registered. Its `secret` signs every body (HMAC-SHA256); it is stored as
    given, since signing needs it, and the API shows it once, in the answer to the create."""

    url = models.URLField(max_length=URL_MAX_LENGTH, validators=[validate_webhook_url])
    secret = models.CharField(max_length=SECRET_MAX_LENGTH, default=new_secret)
    event_types = models.JSONField(default=list, validators=[validate_event_types])  # a subset of EventType
    is_active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: the body (`payload`, sent byte for byte the same on every attempt)
    and how its attempts went."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=50)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=ERROR_MAX_LENGTH, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event_type} {self.delivery_id}"
