"""Live events: the one way a service announces something (`alert.opened`, `workorder.created`, ...).

`publish()` runs after the current transaction commits (nothing is announced for a rolled-back
write) and hands the event to the channel layer; the WebSocket consumer at `/ws/events/` delivers
it to each connected user who may see it, scoped exactly as the REST lists: an event about an
object names it (`model` label + `pk`) and reaches the users whose `Model.objects.visible_to(user)`
holds it; an event for named users (`user_ids`, e.g. `notification.created`) reaches only them.
Later consumers of the same events (webhooks) hook in here.
"""

from django.db import transaction
from django.utils import timezone


def publish(event_type, data, *, instance=None, user_ids=None):
    """Announce `event_type` with `data` (ids and states, never clinical free text) once the
    transaction commits. Give `instance` (the object the event is about, scoped by its model's
    visible_to) or `user_ids` (the only recipients)."""
    event = {
        "type": event_type,
        "at": timezone.now().isoformat(),
        "data": data,
        "model": instance._meta.label if instance is not None else None,
        "pk": instance.pk if instance is not None else None,
        "user_ids": sorted(user_ids) if user_ids is not None else None,
    }
    transaction.on_commit(lambda: deliver(event), robust=True)


def deliver(event):
    """Send a committed event to the channel layer (the live-events helper implements this)."""
