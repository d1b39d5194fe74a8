from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import ScopedPrimaryKeyRelatedField
from devices.models import Device
from maintenance.choices import INTERVAL_MAX, INTERVAL_MIN, LEAD_DAYS_MAX, LEAD_DAYS_MIN
from maintenance.models import PMSchedule


class LastWorkOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    work_number = serializers.CharField()
    status = serializers.CharField()
    due_date = serializers.DateField(help_text="The occurrence's due date.")


class PMScheduleSerializer(serializers.ModelSerializer):
    """What admins and the device's engineer read. `last_work_order` is the latest work order the
    generator made for this schedule (by occurrence date), or null."""

    device_asset_number = serializers.CharField(source="device.asset_number", read_only=True)
    device_name = serializers.CharField(source="device.name", read_only=True)
    checklist = serializers.ListField(child=serializers.CharField(), read_only=True)
    last_work_order = serializers.SerializerMethodField()

    class Meta:
        model = PMSchedule
        fields = ["id", "device", "device_asset_number", "device_name", "title", "checklist", "frequency",
                  "interval", "based_on", "next_due_date", "lead_days", "active", "last_work_order",
                  "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(LastWorkOrderSerializer(allow_null=True))
    def get_last_work_order(self, schedule):
        # Annotated by the viewset (PMScheduleViewSet.optimise): no query per row.
        if getattr(schedule, "last_wo_id", None) is None:
            return None
        return {"id": schedule.last_wo_id, "work_number": schedule.last_wo_number,
                "status": schedule.last_wo_status, "due_date": schedule.last_wo_due}


class PMScheduleWriteSerializer(serializers.ModelSerializer):
    """Admin writes. Types and ranges here; the rules (a device in service, a checklist of distinct
    non-empty steps, a first due date not in the past) in maintenance.services."""

    device = ScopedPrimaryKeyRelatedField(lambda user: Device.objects.visible_to(user))
    checklist = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        help_text="1 to 50 distinct step texts, each at most 300 characters (stripped).")
    interval = serializers.IntegerField(min_value=INTERVAL_MIN, max_value=INTERVAL_MAX, required=False,
                                        help_text="Every N days/weeks/months/years (1 to 365; default 1).")
    lead_days = serializers.IntegerField(min_value=LEAD_DAYS_MIN, max_value=LEAD_DAYS_MAX, required=False,
                                         help_text="The work order is created this many days before it is due "
                                                   "(0 to 90; default 0).")
    next_due_date = serializers.DateField(help_text="The next occurrence's due date (today or later on create).")

    class Meta:
        model = PMSchedule
        fields = ["device", "title", "checklist", "frequency", "interval", "based_on", "next_due_date",
                  "lead_days", "active"]
