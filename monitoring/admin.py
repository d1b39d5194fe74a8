"""Monitoring in Django admin: a second door with the API's rules. Readings and rollups are
measurements (read-only), alerts are raised by ingest and move only through actions running the
API's services, and keys are issued through the API (the raw key is shown once) and revoked here
with the same service. Opening a reading, a rollup or an alert here (its page or a changelist) is
an audited read of the patient's data (audit.admin_reads)."""

from django.contrib import admin

from audit.admin_reads import AuditReadsAdminMixin
from audit.choices import DataKind
from core.admin import ReadOnlyAdminMixin, service_action
from monitoring import services
from monitoring.models import Alert, DeviceApiKey, MinuteRollup, Reading


@admin.action(description="Revoke the selected keys", permissions=["change"])
def revoke_keys(modeladmin, request, queryset):
    revoked = services.api_keys_revoke(keys=queryset)
    modeladmin.message_user(request, f"{revoked} key(s) revoked.")


@admin.register(DeviceApiKey)
class DeviceApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "device", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "device__asset_number"]
    list_select_related = ["device"]
    fields = ["name", "device", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["device", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = [revoke_keys]

    def has_add_permission(self, request):
        return False  # issued through the API, which shows the raw key once

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never erased (a revoked key must stay refused)


@admin.register(Reading)
class ReadingAdmin(AuditReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    audit_read = (DataKind.READINGS, "patient_id")
    list_display = ["recorded_at", "patient", "device", "bpm", "device_suspect"]
    list_filter = ["device_suspect"]
    search_fields = ["patient__medical_record_number", "device__asset_number"]
    list_select_related = ["patient", "device"]
    date_hierarchy = "recorded_at"
    show_full_result_count = False  # no COUNT(*) over the readings table


@admin.register(MinuteRollup)
class MinuteRollupAdmin(AuditReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    audit_read = (DataKind.READINGS, "patient_id")
    list_display = ["minute", "patient", "count", "bpm_min", "bpm_max"]
    search_fields = ["patient__medical_record_number"]
    list_select_related = ["patient"]
    show_full_result_count = False


@admin.register(Alert)
class AlertAdmin(AuditReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["patient", "kind", "severity", "status", "last_value", "breach_count", "last_breach_at",
                    "escalation_level", "device_suspect"]
    list_filter = ["status", "severity", "kind", "device_suspect", "escalation_level"]
    search_fields = ["patient__medical_record_number", "patient__last_name"]
    list_select_related = ["patient"]
    actions = [
        service_action(services.alert_acknowledge, arg="alert", name="acknowledge_alerts",
                       description="Acknowledge the selected alerts"),
        service_action(services.alert_resolve, arg="alert", name="resolve_alerts",
                       description="Resolve the selected alerts"),
    ]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the actions need it; an alert's fields are written by ingest and the services
