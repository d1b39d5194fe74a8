from django.conf import settings
from django.db import models


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Everyone sees their own notifications, and only those (admins included)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One in-app message to one user (every email a job sends leaves one too). `kind` is a machine
    name (`alert.escalated`, `appointment.reminder`, ...); `data` carries ids and states, never
    clinical free text."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return f"{self.kind} for {self.user_id}"
