"""Spare-part requests in Django admin: a second door with the API's rules. Numbers come from the
counter; the one decision (approve or reject) is an action running the API's service; a decided
request is final (read-only), a pending one is edited through spare_part_update."""

from django.contrib import admin

from core.admin import ServiceFormAdmin, service_action
from spareparts import services
from spareparts.choices import SparePartStatus
from spareparts.models import SparePartRequest


@admin.register(SparePartRequest)
class SparePartRequestAdmin(ServiceFormAdmin):
    list_display = ["request_number", "part_name", "quantity", "device", "work_order", "status", "requested_by",
                    "decided_by", "created_at"]
    list_filter = ["status", "created_at", "device__hospital"]
    search_fields = ["request_number", "part_name", "description", "device__asset_number"]
    list_select_related = ["device", "work_order", "requested_by", "decided_by"]
    raw_id_fields = ["device", "work_order"]
    readonly_fields = ["request_number", "status", "requested_by", "decided_by", "decided_at", "decision_note",
                       "created_at", "updated_at"]
    actions = [
        service_action(services.spare_part_approve, arg="spare_request", name="approve_requests",
                       description="Approve the selected pending requests"),
        service_action(services.spare_part_reject, arg="spare_request", name="reject_requests",
                       description="Reject the selected pending requests"),
    ]

    def has_add_permission(self, request):
        return False  # requests are made through the API, which numbers them

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == SparePartStatus.PENDING  # a decision is final

    def save_model(self, request, obj, form, change):
        # The API's own update: pending only, and the work order must be for the device.
        services.spare_part_update(spare_request=obj, by=request.user,
                                   **{name: form.cleaned_data[name] for name in form.changed_data})
