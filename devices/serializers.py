from rest_framework import serializers

from accounts.models import User
from clinical.models import Patient
from core.serializers import RoleRestrictedFieldsMixin, ScopedPrimaryKeyRelatedField, display_name
from devices.models import Device, Hospital, InventoryCheck, Room


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

    class Meta:
        model = Device
        fields = [
            "id", "asset_number", "serial_number", "name", "model", "manufacturer", "category", "status",
            "hospital", "hospital_name", "room", "room_name", "assigned_engineer", "assigned_engineer_name",
            "assigned_nurses", "assigned_nurse_names", "patient", "last_inventory_date", "notes",
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
            "room", "assigned_engineer", "assigned_nurses", "last_inventory_date", "notes",
        ]


class DeviceEngineerUpdateSerializer(RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """An engineer on their own device: status and notes only."""

    forbidden_fields = set(DeviceWriteSerializer.Meta.fields) - {"status", "notes"}

    class Meta:
        model = Device
        fields = ["status", "notes"]


class InventorySerializer(serializers.Serializer):
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.all())


class ChangeStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Device._meta.get_field("status").choices, required=False,
                                     help_text="The new status; without it active and inactive toggle.")


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
