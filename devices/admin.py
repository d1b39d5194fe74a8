"""Equipment in Django admin: a second door with the API's rules. A device's status changes only
through actions running `device_set_status` (the API's transition table, and the downtime periods
it opens and closes); the monitor's patient is assigned through the API; inventory checks and
downtime periods are read-only records written by the services."""

from django import forms
from django.contrib import admin

from accounts.choices import Role
from accounts.models import User
from core.admin import ReadOnlyAdminMixin, service_action
from devices import services
from devices.choices import DeviceStatus
from devices.dates import date_error
from devices.models import Device, DowntimePeriod, Hospital, InventoryCheck, Room


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
        for name in services.DATE_FIELDS:  # the API's ranges (devices.dates)
            message = date_error(name, cleaned.get(name))
            if message and name in self.fields:
                self.add_error(name, message)
        last, next_due = cleaned.get("last_calibration_date"), cleaned.get("next_calibration_due")
        if last is not None and next_due is not None and next_due < last:  # as devices.services
            self.add_error("next_calibration_due", "The next calibration cannot be due before the last one.")
        return cleaned


def _status_action(status):
    return service_action(services.device_set_status, arg="device", status=status,
                          name=f"mark_{status}", description=f"Set the selected devices' status to {status.label}")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    form = DeviceAdminForm
    list_display = ["asset_number", "name", "category", "status", "hospital", "room", "assigned_engineer",
                    "patient"]
    list_filter = ["status", "category", "hospital", "manufacturer", "warranty_expires", "next_calibration_due"]
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


class OpenFilter(admin.SimpleListFilter):
    title = "open"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "Open (device still down)"), ("no", "Closed")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(ended_at__isnull=self.value() == "yes")
        return queryset


@admin.register(DowntimePeriod)
class DowntimePeriodAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Opened and closed only by devices.downtime (through device_set_status, and downtime_open/close): read-only,
    the reliability report's source."""

    list_display = ["device", "status", "started_at", "ended_at", "reason", "work_order", "opened_by", "closed_by"]
    list_filter = [OpenFilter, "status", "started_at", "device__hospital"]
    search_fields = ["device__asset_number", "device__name", "reason"]
    list_select_related = ["device", "work_order", "opened_by", "closed_by"]
    date_hierarchy = "started_at"
