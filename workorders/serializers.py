from django.urls import reverse
from rest_framework import serializers

from accounts.models import User
from core.serializers import RoleRestrictedFieldsMixin, ScopedPrimaryKeyRelatedField, display_name
from devices.models import Device
from workorders.models import WorkOrder
from workorders.photos import PhotoField


class WorkOrderSerializer(serializers.ModelSerializer):
    """What every role that sees a work order reads."""

    device_name = serializers.CharField(source="device.name", read_only=True)
    device_asset_number = serializers.CharField(source="device.asset_number", read_only=True)
    location = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()
    assigned_to_name = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField(read_only=True)
    # The contract names the field `photo`; both it and `photo_url` give the authenticated route.
    photo = serializers.SerializerMethodField(method_name="get_photo_url")
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = [
            "id", "work_number", "device", "device_name", "device_asset_number", "location", "description",
            "work_type", "priority", "status", "created_by", "created_by_name", "assigned_to", "assigned_to_name",
            "due_date", "completed_date", "technical_action", "is_overdue", "photo", "photo_url", "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_location(self, work_order) -> str:
        device = work_order.device
        return device.hospital.name + (f", room {device.room}" if device.room else "")

    def get_created_by_name(self, work_order) -> str | None:
        return display_name(work_order.created_by)

    def get_assigned_to_name(self, work_order) -> str | None:
        return display_name(work_order.assigned_to)

    def get_photo_url(self, work_order) -> str | None:
        """The authenticated photo route (never a public media URL), or null without a photo."""
        if not work_order.photo:
            return None
        path = reverse("workorder-photo", kwargs={"pk": work_order.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class WorkOrderCreateSerializer(serializers.ModelSerializer):
    """Engineer or nurse reports a work order on a device within their scope (multipart for a photo)."""

    device = ScopedPrimaryKeyRelatedField(lambda user: Device.objects.visible_to(user))
    due_date = serializers.DateField(required=False, help_text="Derived from the priority when absent.")
    photo = PhotoField(required=False, help_text="JPEG, PNG, GIF or WebP; 5 MB at most.")

    class Meta:
        model = WorkOrder
        fields = ["device", "description", "work_type", "priority", "due_date", "photo"]
        extra_kwargs = {"work_type": {"required": True}, "priority": {"required": True}}


class WorkOrderAdminUpdateSerializer(serializers.ModelSerializer):
    assigned_to = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False)

    class Meta:
        model = WorkOrder
        fields = ["device", "description", "work_type", "priority", "status", "assigned_to", "due_date",
                  "technical_action"]


_ADMIN_FIELDS = set(WorkOrderAdminUpdateSerializer.Meta.fields)


class WorkOrderEngineerUpdateSerializer(RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """The assigned engineer moves the work order along and records what was done."""

    forbidden_fields = _ADMIN_FIELDS - {"status", "technical_action"}

    class Meta:
        model = WorkOrder
        fields = ["status", "technical_action"]


class WorkOrderNurseUpdateSerializer(RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """The reporting nurse corrects the description while the work order is open."""

    forbidden_fields = _ADMIN_FIELDS - {"description"}

    class Meta:
        model = WorkOrder
        fields = ["description"]
