from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from clinical.models import Patient
from core.serializers import (
    RoleRestrictedFieldsMixin,
    ScopedPrimaryKeyRelatedField,
    StrictCharField,
    StrictFieldsMixin,
    display_name,
)
from devices.choices import CalibrationState
from devices.dates import date_error
from devices.models import Device, DowntimePeriod, Hospital, InventoryCheck, Room


class HospitalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hospital
        fields = ["id", "name", "kind", "address", "phone", "created_at"]


class RoomSerializer(serializers.ModelSerializer):
    hospital_name = serializers.CharField(source="hospital.name", read_only=True)

    class Meta:
        model = Room
        fields = ["id", "hospital", "hospital_name", "number", "name", "floor"]
        # The column is a small integer; bounding it here gives the same 400 on SQLite as on PostgreSQL.
        extra_kwargs = {"floor": {"min_value": -32768, "max_value": 32767}}
        # The database's (hospital, number) constraint decides; the view turns a clash into a 400
        # naming `number` (DRF's own validator would name neither field).
        validators = []


class DeviceSerializer(serializers.ModelSerializer):
    """What every role that sees a device reads (list and detail)."""

    hospital_name = serializers.CharField(source="hospital.name", read_only=True)
    room_name = serializers.SerializerMethodField()
    assigned_engineer_name = serializers.SerializerMethodField()
    assigned_nurse_names = serializers.SerializerMethodField()
    # Annotated by DeviceQuerySet.with_calibration_state (part of with_details): one definition.
    calibration_state = serializers.ChoiceField(
        choices=CalibrationState.choices, read_only=True,
        help_text="not_calibrated: never calibrated; calibration_required: next_calibration_due has passed; "
                  "else calibrated.")

    class Meta:
        model = Device
        fields = [
            "id", "asset_number", "serial_number", "name", "model", "manufacturer", "category", "status",
            "hospital", "hospital_name", "room", "room_name", "assigned_engineer", "assigned_engineer_name",
            "assigned_nurses", "assigned_nurse_names", "patient", "last_inventory_date",
            "warranty_expires", "last_calibration_date", "next_calibration_due", "calibration_state", "notes",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_room_name(self, device) -> str | None:
        return str(device.room) if device.room else None

    def get_assigned_engineer_name(self, device) -> str | None:
        return display_name(device.assigned_engineer)

    def get_assigned_nurse_names(self, device) -> list[str]:
        # .all() reads the prefetch cache: no query per row.
        return [display_name(nurse) for nurse in device.assigned_nurses.all()]


REASON_MAX_LENGTH = DowntimePeriod._meta.get_field("reason").max_length
REASON_HELP = ("Why the status changes (kept on the downtime period a move out of `active` opens); only with a "
               "new `status`.")


class DeviceDatesMixin:
    """The device's dates within their sane range (devices.dates): a 400 naming the field."""

    def _date(self, name, value):
        message = date_error(name, value)
        if message:
            raise serializers.ValidationError(message)
        return value

    def validate_last_calibration_date(self, value):
        return self._date("last_calibration_date", value)

    def validate_last_inventory_date(self, value):
        return self._date("last_inventory_date", value)

    def validate_next_calibration_due(self, value):
        return self._date("next_calibration_due", value)

    def validate_warranty_expires(self, value):
        return self._date("warranty_expires", value)


class DeviceWriteSerializer(StrictFieldsMixin, DeviceDatesMixin, serializers.ModelSerializer):
    """Admin create and update: every field but `patient` (only assign/unassign change it).
    Whether the room is in the hospital and the people have the right roles is the service's check.
    A key the device does not take is a 400 naming it (read-only / unknown field)."""

    resource_serializer = DeviceSerializer
    read_only_messages = {"patient": gettext_lazy("This field is read-only: a monitor's patient changes through "
                                                  "POST /api/devices/{id}/assign/ and /unassign/.")}
    assigned_engineer = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False,
                                                           allow_null=True)
    assigned_nurses = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    reason = StrictCharField(max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, write_only=True,
                             help_text=REASON_HELP)

    class Meta:
        model = Device
        fields = [
            "asset_number", "serial_number", "name", "model", "manufacturer", "category", "status", "hospital",
            "room", "assigned_engineer", "assigned_nurses", "last_inventory_date", "warranty_expires",
            "last_calibration_date", "next_calibration_due", "notes", "reason",
        ]


class DeviceEngineerUpdateSerializer(StrictFieldsMixin, RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """An engineer on their own device: status (with an optional reason) and notes only."""

    resource_serializer = DeviceSerializer
    forbidden_fields = set(DeviceWriteSerializer.Meta.fields) - {"status", "notes", "reason"}
    reason = StrictCharField(max_length=REASON_MAX_LENGTH, required=False, allow_blank=True, write_only=True,
                             help_text=REASON_HELP)

    class Meta:
        model = Device
        fields = ["status", "notes", "reason"]


class InventorySerializer(StrictFieldsMixin, serializers.Serializer):
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.all())


@extend_schema_field(OpenApiTypes.INT)
class DeviceWorkOrderField(serializers.PrimaryKeyRelatedField):
    """One of the device's own work orders (the view puts the device in the context): any other id,
    another device's work order included, is refused like a missing one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField())
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.context["device"].work_orders.all()


class ChangeStatusSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=Device._meta.get_field("status").choices, required=False,
                                     help_text="The new status; without it active and inactive toggle.")
    reason = StrictCharField(max_length=REASON_MAX_LENGTH, required=False, allow_blank=True,
                                   help_text="Why the device goes out of service (kept on its downtime period).")
    work_order = DeviceWorkOrderField(
        required=False, allow_null=True,
        help_text="The cause of the downtime: an open (not closed) corrective work order of this device; "
                  "default: its newest open corrective work order.")

    def validate_work_order(self, work_order):
        """Only a fault causes downtime: a corrective work order still open. A preventive one (planned
        maintenance) or a closed one is a 400 naming work_order that says why."""
        if work_order is None:
            return None
        if self.context["device"].work_orders.open_corrective().filter(pk=work_order.pk).exists():
            return work_order
        # devices does not import workorders: a closed work order is the one with a completion date
        # (workorders' constraint), so what is neither closed nor in open_corrective is not corrective.
        if work_order.completed_date is None:
            raise serializers.ValidationError(
                _("Work order %(number)s is %(kind)s (%(type)s), not corrective: only an open corrective (CM) "
                  "work order can be the cause of a downtime.") % {
                    "number": work_order.work_number, "kind": work_order.get_work_type_display().lower(),
                    "type": work_order.work_type})
        raise serializers.ValidationError(
            _("Work order %(number)s is closed: only an open corrective (CM) work order can be "
              "the cause of a downtime.") % {"number": work_order.work_number})


class AssignPatientSerializer(StrictFieldsMixin, serializers.Serializer):
    # Only patients in the caller's care (not archived; a break-glass grant reads, never assigns):
    # anyone else reads as a missing id.
    patient = ScopedPrimaryKeyRelatedField(lambda user: Patient.objects.in_care_of(user).active())


class InventoryCheckSerializer(serializers.ModelSerializer):
    checked_by_name = serializers.SerializerMethodField()
    from_room_name = serializers.SerializerMethodField()
    to_room_name = serializers.SerializerMethodField()

    class Meta:
        model = InventoryCheck
        fields = ["id", "device", "checked_by", "checked_by_name", "checked_at", "from_room", "from_room_name",
                  "to_room", "to_room_name"]
        read_only_fields = fields

    def get_checked_by_name(self, check) -> str | None:
        return display_name(check.checked_by)

    def get_from_room_name(self, check) -> str | None:
        return str(check.from_room) if check.from_room else None

    def get_to_room_name(self, check) -> str:
        return str(check.to_room)


class DowntimePeriodSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.work_number", read_only=True, allow_null=True,
                                              default=None)
    duration_hours = serializers.SerializerMethodField(
        help_text="From started_at to ended_at, or to now while the period is open (2 decimals).")

    class Meta:
        model = DowntimePeriod
        fields = ["id", "started_at", "ended_at", "status", "reason", "work_order", "work_order_number",
                  "duration_hours", "opened_by", "closed_by"]
        read_only_fields = fields

    def get_duration_hours(self, period) -> float:
        return round(period.duration(self.context.get("now")).total_seconds() / 3600, 2)
