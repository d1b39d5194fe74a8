"""The audit log in Django admin: read, search and filter, never add, change or delete (superusers
included: this admin grants no such permission, and the list offers no actions). It replaces the
admin django-auditlog registers for the same model, which would let a cascade delete through."""

from django.contrib import admin

from audit.choices import AuditAction
from audit.models import AuditEntry
from core.admin import ReadOnlyAdminMixin

if admin.site.is_registered(AuditEntry):
    admin.site.unregister(AuditEntry)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["timestamp", "action_name", "object_type", "object_repr", "patient_id", "data_kind",
                    "actor_name", "actor_role", "break_glass", "cid"]
    list_filter = ["action", "data_kind", "break_glass", "actor_role", "content_type"]
    search_fields = ["object_repr", "object_pk", "actor_name", "cid", "=patient_id"]
    list_select_related = ["content_type"]
    date_hierarchy = "timestamp"
    show_full_result_count = False  # no second COUNT over the whole table
    actions = None
    fields = ["timestamp", "action_name", "object_type", "object_pk", "object_repr", "patient_id", "data_kind",
              "changes", "actor_id", "actor_name", "actor_role", "actor_email", "cid", "remote_addr",
              "break_glass"]
    readonly_fields = fields

    @admin.display(description="action", ordering="action")
    def action_name(self, entry):
        return AuditAction(entry.action).label

    @admin.display(description="object type", ordering="content_type__model")
    def object_type(self, entry):
        return f"{entry.content_type.app_label}.{entry.content_type.model}"
