"""The event types an endpoint may subscribe to, delivery states and the retry schedule."""

from datetime import timedelta

from django.db import models


class EventType(models.TextChoices):
    """The contract's live-event types about objects (docs/events.md). `notification.created` is left
    out: it is addressed to one user (its title is written for that user), not to the hospital's systems."""

    ALERT_OPENED = "alert.opened"
    ALERT_UPDATED = "alert.updated"
    ALERT_ESCALATED = "alert.escalated"
    ALERT_RESOLVED = "alert.resolved"
    DEVICE_OFFLINE = "device.offline"
    DEVICE_ONLINE = "device.online"
    WORKORDER_CREATED = "workorder.created"
    WORKORDER_STATUS_CHANGED = "workorder.status_changed"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"  # not attempted yet
    RETRYING = "retrying"  # an attempt failed; the next one is due at next_attempt_at
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"  # gave up: RETRY_WINDOW after the first attempt, or the endpoint was deactivated


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)

# Exponential backoff: 30 s after the first failure, doubling, at most an hour apart, for 24 hours
# after the first attempt (an attempt that would fall later is not made: the delivery is failed).
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
RETRY_WINDOW = timedelta(hours=24)
# While an attempt runs, the row is claimed for this long past the timeout (a worker that dies
# mid-attempt leaves it to the retry job afterwards).
CLAIM_MARGIN = timedelta(seconds=60)
# A task queued for next_attempt_at may start a moment early by the database's clock.
CLAIM_TOLERANCE = timedelta(seconds=2)

URL_MAX_LENGTH = 500
SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 128
ERROR_MAX_LENGTH = 200


def retry_delay(attempts):
    """The wait after the `attempts`-th failed attempt: 30 s, 60 s, 120 s, ... capped at an hour."""
    return min(RETRY_BASE * (2 ** (attempts - 1)), RETRY_MAX)
