from django.contrib import admin

from devices.models import Device, Hospital, InventoryCheck, Room


@admin.register(Hospital)
class HospitalAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "phone", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name", "address", "phone"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "floor", "hospital"]
    list_filter = ["hospital", "floor"]
    search_fields = ["number", "name", "hospital__name"]
    list_select_related = ["hospital"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["asset_number", "name", "category", "status", "hospital", "room", "assigned_engineer",
                    "patient"]
    list_filter = ["status", "category", "hospital", "manufacturer"]
    search_fields = ["asset_number", "serial_number", "name", "model", "manufacturer"]
    list_select_related = ["hospital", "room", "assigned_engineer", "patient"]
    filter_horizontal = ["assigned_nurses"]
    raw_id_fields = ["assigned_engineer"]

    def get_readonly_fields(self, request, obj=None):
        # Monitor assignment and status changes have rules: they go through the API's services.
        return ["patient", "status"] if obj else ["patient"]


@admin.register(InventoryCheck)
class InventoryCheckAdmin(admin.ModelAdmin):
    list_display = ["device", "checked_at", "checked_by", "from_room", "to_room"]
    list_filter = ["checked_at", "device__hospital"]
    search_fields = ["device__asset_number", "device__name", "checked_by__username"]
    list_select_related = ["device", "checked_by", "from_room", "to_room"]
    date_hierarchy = "checked_at"
