from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from clinical.models import Patient
from core.serializers import RoleRestrictedFieldsMixin, ScopedPrimaryKeyRelatedField, display_name
from devices.choices import CalibrationState
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


class DeviceWriteSerializer(serializers.ModelSerializer):
    """Admin create and update: every field but `patient` (only assign/unassign change it).
    Whether the room is in the hospital and the people have the right roles is the service's check."""

    assigned_engineer = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False,
                                                           allow_null=True)
    assigned_nurses = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)

    class Meta:
        model = Device
        fields = [
            "asset_number", "serial_number", "name", "model", "manufacturer", "category", "status", "hospital",
            "room", "assigned_engineer", "assigned_nurses", "last_inventory_date", "warranty_expires",
            "last_calibration_date", "next_calibration_due", "notes",
        ]


class DeviceEngineerUpdateSerializer(RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """An engineer on their own device: status and notes only."""

    forbidden_fields = set(DeviceWriteSerializer.Meta.fields) - {"status", "notes"}

    class Meta:
        model = Device
        fields = ["status", "notes"]


class InventorySerializer(serializers.Serializer):
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


class ChangeStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Device._meta.get_field("status").choices, required=False,
                                     help_text="The new status; without it active and inactive toggle.")
    reason = serializers.CharField(max_length=DowntimePeriod._meta.get_field("reason").max_length,
                                   required=False, allow_blank=True,
                                   help_text="Why the device goes out of service (kept on its downtime period).")
    work_order = DeviceWorkOrderField(
        required=False, allow_null=True,
        help_text="The work order (of this device) that caused the downtime; default: its newest open "
                  "corrective work order.")


class AssignPatientSerializer(serializers.Serializer):
    # Only patients the caller may see (and not archived): anyone else reads as a missing id.
    patient = ScopedPrimaryKeyRelatedField(lambda user: Patient.objects.visible_to(user).active())


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
