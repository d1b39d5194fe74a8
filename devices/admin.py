"""Equipment in Django admin: a second door with the API's rules. A device's status changes only
through actions running `device_change_status` (the API's transition table); the monitor's patient
is assigned through the API; inventory checks are an append-only audit trail."""

from django import forms
from django.contrib import admin

from accounts.choices import Role
from accounts.models import User
from core.admin import ReadOnlyAdminMixin, service_action
from devices import services
from devices.choices import DeviceStatus
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

    def get_readonly_fields(self, request, obj=None):
        # As room_update: a room moves to another hospital only while no device stands in it.
        return ["hospital"] if obj is not None and obj.devices.exists() else []


class DeviceAdminForm(forms.ModelForm):
    """The admin's device form (its fields come from DeviceAdmin): placement checked as in the API."""

    def clean(self):
        cleaned = super().clean()
        hospital, room = cleaned.get("hospital"), cleaned.get("room")
        if hospital is not None and room is not None and room.hospital_id != hospital.pk:
            self.add_error("room", f"Room {room.number} does not belong to {hospital.name}.")
        return cleaned


def _status_action(status):
    return service_action(services.device_change_status, arg="device", status=status,
                          name=f"mark_{status}", description=f"Set the selected devices' status to {status.label}")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    form = DeviceAdminForm
    list_display = ["asset_number", "name", "category", "status", "hospital", "room", "assigned_engineer",
                    "patient"]
    list_filter = ["status", "category", "hospital", "manufacturer"]
    search_fields = ["asset_number", "serial_number", "name", "model", "manufacturer"]
    list_select_related = ["hospital", "room", "assigned_engineer", "patient"]
    filter_horizontal = ["assigned_nurses"]
    raw_id_fields = ["assigned_engineer"]
    actions = [_status_action(status) for status in DeviceStatus]

    def get_readonly_fields(self, request, obj=None):
        # Monitor assignment and status changes have rules: the API's services (and the actions above).
        if obj is None:
            return ["patient", "status"]
        # An assigned monitor keeps its category (as device_update: unassign it first).
        return ["patient", "status", "category"] if obj.patient_id else ["patient", "status"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_engineer":
            kwargs["queryset"] = User.objects.filter(role=Role.ENGINEER, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "assigned_nurses":
            kwargs["queryset"] = User.objects.filter(role=Role.NURSE, is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(InventoryCheck)
class InventoryCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """An audit trail written by device_inventory_check: append-only."""

    list_display = ["device", "checked_at", "checked_by", "from_room", "to_room"]
    list_filter = ["checked_at", "device__hospital"]
    search_fields = ["device__asset_number", "device__name", "checked_by__username"]
    list_select_related = ["device", "checked_by", "from_room", "to_room"]
    date_hierarchy = "checked_at"
