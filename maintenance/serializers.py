from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import IndexedListField, ScopedPrimaryKeyRelatedField, StrictCharField, StrictFieldsMixin
from devices.models import Device
from maintenance.checklists import STEP_MAX_LENGTH, duplicate_messages
from maintenance.choices import (
    CHECKLIST_MAX_STEPS,
    CHECKLIST_MIN_STEPS,
    INTERVAL_MAX,
    INTERVAL_MIN,
    LEAD_DAYS_MAX,
    LEAD_DAYS_MIN,
    NEXT_DUE_MAX_YEARS,
)
from maintenance.models import PMSchedule, next_due_date_error


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


STEPS_MESSAGE = f"A checklist has {CHECKLIST_MIN_STEPS} to {CHECKLIST_MAX_STEPS} steps."


class PMScheduleWriteSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Admin writes. Types, shapes and ranges here (every field's errors in one answer); the rules
    (a device in service, a first due date not in the past) in maintenance.services, which checks
    the checklist again for Django admin. A key the schedule does not take is a 400 naming it."""

    resource_serializer = PMScheduleSerializer
    device = ScopedPrimaryKeyRelatedField(lambda user: Device.objects.visible_to(user))
    checklist = IndexedListField(
        child=StrictCharField(max_length=STEP_MAX_LENGTH, allow_blank=False, trim_whitespace=True),
        min_length=CHECKLIST_MIN_STEPS, max_length=CHECKLIST_MAX_STEPS,
        error_messages={"min_length": STEPS_MESSAGE, "max_length": STEPS_MESSAGE,
                        "not_a_list": "Give the checklist as a list of step texts (JSON strings)."},
        help_text=f"{CHECKLIST_MIN_STEPS} to {CHECKLIST_MAX_STEPS} distinct step texts (JSON strings), each at "
                  f"most {STEP_MAX_LENGTH} characters (stripped; repeats compared case-insensitively).")
    interval = serializers.IntegerField(min_value=INTERVAL_MIN, max_value=INTERVAL_MAX, required=False,
                                        help_text="Every N days/weeks/months/years (1 to 365; default 1).")
    lead_days = serializers.IntegerField(min_value=LEAD_DAYS_MIN, max_value=LEAD_DAYS_MAX, required=False,
                                         help_text="The work order is created this many days before it is due "
                                                   "(0 to 90; default 0).")
    next_due_date = serializers.DateField(
        help_text=f"The next occurrence's due date (today or later on create; at most {NEXT_DUE_MAX_YEARS} years "
                  "ahead).")

    class Meta:
        model = PMSchedule
        fields = ["device", "title", "checklist", "frequency", "interval", "based_on", "next_due_date",
                  "lead_days", "active"]

    def validate_checklist(self, steps):
        messages = duplicate_messages(steps)
        if messages:
            raise serializers.ValidationError(messages)
        return steps

    def validate_next_due_date(self, day):
        message = next_due_date_error(day)
        if message:
            raise serializers.ValidationError(message)
        return day
