from django.contrib import admin

from spareparts.models import SparePartRequest


@admin.register(SparePartRequest)
class SparePartRequestAdmin(admin.ModelAdmin):
    list_display = ["request_number", "part_name", "quantity", "device", "work_order", "status", "requested_by",
                    "decided_by", "created_at"]
    list_filter = ["status", "created_at", "device__hospital"]
    search_fields = ["request_number", "part_name", "description", "device__asset_number"]
    list_select_related = ["device", "work_order", "requested_by", "decided_by"]
    raw_id_fields = ["device", "work_order"]
    # Numbers come from the counter and decisions go through approve/reject in the API.
    readonly_fields = ["request_number", "status", "requested_by", "decided_by", "decided_at", "created_at",
                       "updated_at"]

    def has_add_permission(self, request):
        return False  # requests are made through the API, which numbers them
