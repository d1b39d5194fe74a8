from django.contrib import admin

from monitoring.models import Alert, DeviceApiKey, MinuteRollup, Reading


@admin.register(DeviceApiKey)
class DeviceApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "device", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "device__asset_number"]
    list_select_related = ["device"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]


@admin.register(Reading)
class ReadingAdmin(admin.ModelAdmin):
    list_display = ["recorded_at", "patient", "device", "bpm"]
    search_fields = ["patient__medical_record_number", "device__asset_number"]
    list_select_related = ["patient", "device"]
    date_hierarchy = "recorded_at"
    show_full_result_count = False  # no COUNT(*) over the readings table


@admin.register(MinuteRollup)
class MinuteRollupAdmin(admin.ModelAdmin):
    list_display = ["minute", "patient", "count", "bpm_min", "bpm_max"]
    search_fields = ["patient__medical_record_number"]
    list_select_related = ["patient"]
    show_full_result_count = False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["patient", "kind", "severity", "status", "last_value", "breach_count", "last_breach_at"]
    list_filter = ["status", "severity", "kind"]
    search_fields = ["patient__medical_record_number", "patient__last_name"]
    list_select_related = ["patient"]
