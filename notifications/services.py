"""The one way to tell people something: an in-app notification each, an email each (after
commit, through the email task), and a live `notification.created` event to its owner."""

from django.db import transaction
from django.utils import timezone

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


def notification_mark_read(*, notification):
    """Mark one notification read now. Idempotent: one already read keeps its first `read_at` (a
    conditional UPDATE, so two calls at once stamp it once). Returns the notification as stored."""
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
    notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user):
    """Mark every unread notification of `user` read now; returns how many were."""
    return Notification.objects.visible_to(user).unread().update(read_at=timezone.now())
