from rest_framework import serializers

from core.serializers import RoleRestrictedFieldsMixin, ScopedPrimaryKeyRelatedField, display_name
from devices.models import Device
from spareparts.models import SparePartRequest
from workorders.models import WorkOrder

MAX_QUANTITY = 2**31 - 1


class SparePartRequestSerializer(serializers.ModelSerializer):
    device_name = serializers.CharField(source="device.name", read_only=True)
    work_order_number = serializers.CharField(source="work_order.work_number", read_only=True, default=None,
                                              allow_null=True)
    requested_by_name = serializers.SerializerMethodField()
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = SparePartRequest
        fields = [
            "id", "request_number", "part_name", "description", "quantity", "device", "device_name", "work_order",
            "work_order_number", "status", "requested_by", "requested_by_name", "decided_by", "decided_by_name",
            "decided_at", "decision_note", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_requested_by_name(self, spare_request) -> str | None:
        return display_name(spare_request.requested_by)

    def get_decided_by_name(self, spare_request) -> str | None:
        return display_name(spare_request.decided_by)


class SparePartRequestWriteSerializer(RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """Create (engineer) and edit while pending (the requesting engineer, admin). The status only
    changes through approve/reject, so sending it is refused (400) rather than ignored."""

    forbidden_fields = {"status", "decided_by", "decided_at", "decision_note", "requested_by"}

    # Only the caller's devices and work orders: anything else reads as a missing id.
    device = ScopedPrimaryKeyRelatedField(lambda user: Device.objects.visible_to(user))
    work_order = ScopedPrimaryKeyRelatedField(lambda user: WorkOrder.objects.visible_to(user), required=False,
                                              allow_null=True)
    # The upper bound is the column's (a 32-bit integer): a bigger number is a 400, not a database error.
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)

    class Meta:
        model = SparePartRequest
        fields = ["part_name", "description", "quantity", "device", "work_order"]


class DecisionSerializer(serializers.Serializer):
    decision_note = serializers.CharField(required=False, allow_blank=True, default="",
                                          help_text="Why it was approved or rejected (optional).")
