from django.contrib import admin

from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """The secret is neither shown nor edited here (the API shows it once, at creation)."""

    list_display = ["url", "is_active", "description", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    fields = ["url", "event_types", "is_active", "description", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # a URL typed without a scheme is https (Django 6's default)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log is history: read-only."""

    list_display = ["delivery_id", "endpoint", "event_type", "status", "attempts", "last_response_code", "created_at"]
    list_filter = ["status", "event_type"]
    search_fields = ["delivery_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
