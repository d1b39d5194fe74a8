"""Attempts racing for one delivery (its retry task and the retry job, or the job queued twice): real
threads, each with its own connection, against the same database; the claim lets exactly one send."""

from collections import Counter

import pytest

from tests.devices.helpers import run_concurrently
from webhooks import services
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def test_eight_attempts_at_one_due_delivery_send_it_once(receiver, endpoint_for):
    endpoint = endpoint_for()
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_type="workorder.created",
                                              payload={"id": "race"}, next_attempt_at="2026-01-01T00:00:00Z")
    outcomes = run_concurrently(8, lambda index: services.delivery_attempt(delivery.pk))
    assert Counter(outcomes) == {"succeeded": 1, "skipped": 7}
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
