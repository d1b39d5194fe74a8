from django.contrib import admin

from workorders.models import WorkOrder


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ["work_number", "device", "work_type", "priority", "status", "assigned_to", "created_by",
                    "due_date", "completed_date", "created_at"]
    list_filter = ["status", "work_type", "priority", "due_date", "device__hospital"]
    search_fields = ["work_number", "description", "device__asset_number", "device__name"]
    list_select_related = ["device", "assigned_to", "created_by"]
    raw_id_fields = ["device", "assigned_to"]
    # Numbers come from the counter and statuses move through the API's services.
    readonly_fields = ["work_number", "status", "completed_date", "created_by", "created_at", "updated_at"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False  # work orders are reported through the API, which numbers them
