"""Outbound webhooks: every write with a rule (docs/webhooks.md).

- `on_event` is core.events' sink (registered in WebhooksConfig.ready()): for each committed event,
  one WebhookDelivery per active endpoint subscribed to its type, each queued as a Celery task.
- `delivery_attempt` makes one attempt (the task calls it): it claims the row first (a conditional
  UPDATE), so a delivery queued twice (its retry task and the retry job) is sent once.
- `retry_due_deliveries` is the periodic job `retry-webhook-deliveries`: it queues every delivery
  whose next attempt is due. With eager tasks (tests, `make run`'s web process, no broker) it is the
  only way retries happen; with a broker each failed attempt also queues its retry with an ETA and the
  job only catches what was lost (a worker restart, the broker down when queuing).
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core.metrics import WEBHOOK_DELIVERIES
from webhooks import sending
from webhooks.choices import (
    CLAIM_MARGIN,
    CLAIM_TOLERANCE,
    OPEN_STATUSES,
    RETRY_WINDOW,
    DeliveryStatus,
    EventType,
    retry_delay,
)
from webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

RETRY_JOB_LIMIT = 500


def endpoint_create(*, by, **fields):
    endpoint = WebhookEndpoint(created_by=by, **fields)
    if not fields.get("secret"):
        endpoint.secret = WebhookEndpoint._meta.get_field("secret").get_default()
    endpoint.save()
    return endpoint


def endpoint_update(*, endpoint, **fields):
    """A new `secret` replaces the old one at once (rotate it on the receiver first, or accept both
    for a while); deactivating stops the open deliveries at their next attempt."""
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.save()
    return endpoint


def body_for(event, delivery_id):
    """What the receiver gets: the delivery id, the event's type and time, and its data (ids and
    states: core.events.publish's contract), as JSON would carry them."""
    body = {"id": str(delivery_id), "type": event["type"], "at": event["at"], "data": event["data"]}
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def on_event(event):
    """core.events sink: runs after the publishing transaction committed."""
    if event.get("type") not in EventType.values:
        return
    endpoints = [endpoint for endpoint in WebhookEndpoint.objects.filter(is_active=True)
                 if event["type"] in endpoint.event_types]
    if not endpoints:
        return
    now = timezone.now()
    deliveries = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(endpoint=endpoint, event_type=event["type"], next_attempt_at=now, payload={})
        delivery.payload = body_for(event, delivery.delivery_id)
        deliveries.append(delivery)
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in WebhookDelivery.objects.filter(delivery_id__in=[d.delivery_id for d in deliveries]):
        queue_attempt(delivery.pk)


def _eager():
    from config.celery import app

    return bool(app.conf.task_always_eager)


def queue_attempt(delivery_pk, eta=None):
    """Queue one attempt (with eager tasks: make it now; an ETA is never given then). The broker down
    costs a warning: the delivery stays due and the retry job queues it again."""
    from webhooks.tasks import send_webhook_delivery

    try:
        if eta is None:
            send_webhook_delivery.delay(delivery_pk)
        else:
            send_webhook_delivery.apply_async((delivery_pk,), eta=eta)
    except BrokerError as exc:
        logger.warning("webhook delivery %s not queued: the broker failed (%s); the retry job will", delivery_pk, exc)


def _claim(delivery_pk, now):
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS) + CLAIM_MARGIN
    return WebhookDelivery.objects.filter(
        pk=delivery_pk, status__in=OPEN_STATUSES, next_attempt_at__lte=now + CLAIM_TOLERANCE,
    ).update(next_attempt_at=lease)


def delivery_attempt(delivery_pk):
    """One attempt at a due delivery; returns its outcome ("succeeded", "retrying", "failed" or
    "skipped": not due, finished, deleted or claimed by another attempt)."""
    started = timezone.now()
    if not _claim(delivery_pk, started):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_pk)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        code, error = None, "The endpoint was deactivated."
        outcome = DeliveryStatus.FAILED
    else:
        code, error = sending.post(endpoint.url, secret=endpoint.secret, event_type=delivery.event_type,
                                   delivery_id=delivery.delivery_id, payload=delivery.payload)
        outcome = None
    now = timezone.now()
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or started
    delivery.last_response_code, delivery.last_error = code, error
    delivery.next_attempt_at = None
    if outcome is None and code is not None and 200 <= code < 300:
        outcome, delivery.delivered_at = DeliveryStatus.SUCCEEDED, now
    elif outcome is None:
        next_at = now + retry_delay(delivery.attempts)
        if next_at > delivery.first_attempt_at + RETRY_WINDOW:
            outcome = DeliveryStatus.FAILED
        else:
            outcome, delivery.next_attempt_at = DeliveryStatus.RETRYING, next_at
    delivery.status = outcome
    # An update, not save(): an endpoint deleted during the attempt took the row with it (0 rows, no error).
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**{name: getattr(delivery, name) for name in (
        "attempts", "first_attempt_at", "last_response_code", "last_error", "next_attempt_at", "delivered_at",
        "status")})
    WEBHOOK_DELIVERIES.labels(outcome=outcome.value).inc()
    if outcome == DeliveryStatus.RETRYING and not _eager():
        queue_attempt(delivery.pk, eta=delivery.next_attempt_at)
    return outcome.value


def retry_due_deliveries(*, limit=None):
    """The periodic job: queue every delivery whose next attempt is due (oldest first, at most
    `limit`, default RETRY_JOB_LIMIT). Idempotent: an attempt claims its row, so a delivery queued
    twice is sent once."""
    due = list(WebhookDelivery.objects.filter(status__in=OPEN_STATUSES, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit or RETRY_JOB_LIMIT])
    for pk in due:
        queue_attempt(pk)
    return {"queued": len(due)}
