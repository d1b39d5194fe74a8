"""Notifications in Django admin: read-only (they are written by notifications.services.notify and
read by their owner through the API), listed per user."""

from django.contrib import admin

from core.admin import ReadOnlyAdminMixin
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email", "title"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    show_full_result_count = False
