"""The one way to tell people something: an in-app notification each, an email each (after
commit, through the email task), and a live `notification.created` event to its owner."""

from django.db import transaction

from accounts.tasks import send_email
from core.events import publish
from notifications.models import Notification


def notify(*, users, kind, title, body="", data=None, email=True):
    """Notify each of `users` (duplicates and inactive users dropped). `title`/`body` are what the
    email says too, so they carry no clinical free text; `data` holds ids and states. Returns the
    notifications created."""
    recipients = {user.pk: user for user in users if user is not None and user.is_active}.values()
    notifications = Notification.objects.bulk_create(
        Notification(user=user, kind=kind, title=title, body=body, data=data or {}) for user in recipients
    )
    for notification in notifications:
        publish("notification.created", {"id": notification.pk, "kind": kind, "title": title},
                user_ids=[notification.user_id])
    if email:
        for user in recipients:
            if user.email:
                transaction.on_commit(
                    lambda user=user: send_email.delay(title, body or title, [user.email]), robust=True)
    return notifications
