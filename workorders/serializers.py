from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.settings import api_settings

from accounts.models import User
from core.serializers import (
    UNKNOWN_FIELD,
    RoleRestrictedFieldsMixin,
    ScopedPrimaryKeyRelatedField,
    StrictCharField,
    StrictFieldsMixin,
    display_name,
)
from devices.models import Device
from workorders.models import WorkOrder
from workorders.photos import PhotoField

# At most one result per step, and a checklist has at most 50 steps (maintenance's limit).
CHECKLIST_MAX_RESULTS = 50
RESULTS_HELP = ("The results recorded so far, one per step at most (replaces the stored list); closing needs "
                "one for every step of the checklist. Only while open or in progress.")


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: "yes", "0" or 1 is a 400, not a guess (a failed step must be said)."""

    default_error_messages = {"invalid": gettext_lazy("Must be true or false.")}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class ChecklistResultSerializer(serializers.Serializer):
    """One checklist step's result."""

    step = StrictCharField(help_text="The step's exact text, as in the work order's `checklist`.")
    passed = StrictBooleanField(help_text="true: the step passed; false: it failed (closing opens a corrective "
                                          "work order).")
    remark = StrictCharField(max_length=500, required=False, allow_blank=True, allow_null=True, default="",
                             help_text="What was seen or measured (equipment terms, no patient data); a string "
                                       "or null (stored as \"\").")

    def to_internal_value(self, data):
        # A PATCH makes DRF skip missing required fields in nested serializers too (the root's
        # `partial`); a result is always whole. A key a result does not have is refused, not dropped.
        if isinstance(data, dict):
            problems = {name: [self.fields[name].error_messages["required"]] for name in ("step", "passed")
                        if name not in data}
            problems.update({str(key): [UNKNOWN_FIELD] for key in data if key not in self.fields})
            if problems:
                try:
                    super().to_internal_value(data)
                except serializers.ValidationError as exc:
                    if isinstance(exc.detail, dict):
                        problems = {**exc.detail, **problems}
                raise serializers.ValidationError(problems)
        return super().to_internal_value(data)

    class Meta:
        list_serializer_class = None  # set below: ChecklistResultListSerializer


def _item_messages(detail, prefix=""):
    """DRF's nested error detail -> flat sentences, each saying which item ("[1] passed: ...")."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            if isinstance(key, int) or str(key).isdigit():
                out += _item_messages(value, f"[{key}] ")
            elif key == api_settings.NON_FIELD_ERRORS_KEY:
                out += _item_messages(value, prefix)
            else:
                out += _item_messages(value, f"{prefix}{key}: ")
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            if isinstance(value, dict):
                out += _item_messages(value, f"[{index}] ")
            else:
                out += _item_messages(value, prefix)
        return out
    return [f"{prefix}{detail}"]


class ChecklistResultListSerializer(serializers.ListSerializer):
    """The results as a list; its errors are flat messages naming the item, as the service's are."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(_item_messages(exc.detail)) from exc


ChecklistResultSerializer.Meta.list_serializer_class = ChecklistResultListSerializer


def checklist_results_field(**kwargs):
    return ChecklistResultSerializer(many=True, max_length=CHECKLIST_MAX_RESULTS, **kwargs)


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
    checklist = serializers.ListField(child=serializers.CharField(), read_only=True,
                                      help_text="The steps to carry out (texts), copied from the PM schedule.")
    checklist_results = checklist_results_field(read_only=True)
    follow_up = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = [
            "id", "work_number", "device", "device_name", "device_asset_number", "location", "description",
            "work_type", "priority", "status", "created_by", "created_by_name", "assigned_to", "assigned_to_name",
            "due_date", "completed_date", "completed_at", "technical_action", "is_overdue", "photo", "photo_url",
            "pm_schedule", "pm_due_date", "checklist", "checklist_results", "follow_up_of", "follow_up",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_location(self, work_order) -> str:
        device = work_order.device
        return device.hospital.name + (f", room {device.room}" if device.room else "")

    def get_created_by_name(self, work_order) -> str | None:
        return display_name(work_order.created_by)

    def get_assigned_to_name(self, work_order) -> str | None:
        return display_name(work_order.assigned_to)

    def get_follow_up(self, work_order) -> int | None:
        """The corrective work order a failed checklist step opened (with_details() annotates its id)."""
        if hasattr(work_order, "follow_up_pk"):
            return work_order.follow_up_pk
        try:
            return work_order.follow_up.pk
        except WorkOrder.follow_up.RelatedObjectDoesNotExist:
            return None

    def get_photo_url(self, work_order) -> str | None:
        """The authenticated photo route (never a public media URL), or null without a photo."""
        if not work_order.photo:
            return None
        path = reverse("workorder-photo", kwargs={"pk": work_order.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class WorkOrderCreateSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """Engineer or nurse reports a work order on a device within their scope (multipart for a photo).
    A key it does not take (status, assigned_to, checklist...) is a 400 naming it."""

    resource_serializer = WorkOrderSerializer
    device = ScopedPrimaryKeyRelatedField(lambda user: Device.objects.visible_to(user))
    due_date = serializers.DateField(required=False, help_text="Derived from the priority when absent.")
    photo = PhotoField(required=False, help_text="JPEG, PNG, GIF or WebP; 5 MB at most.")

    class Meta:
        model = WorkOrder
        fields = ["device", "description", "work_type", "priority", "due_date", "photo"]
        extra_kwargs = {"work_type": {"required": True}, "priority": {"required": True}}


class WorkOrderAdminUpdateSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    resource_serializer = WorkOrderSerializer
    assigned_to = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True, required=False)
    checklist_results = checklist_results_field(required=False, help_text=RESULTS_HELP)

    class Meta:
        model = WorkOrder
        fields = ["device", "description", "work_type", "priority", "status", "assigned_to", "due_date",
                  "technical_action", "checklist_results"]


_ADMIN_FIELDS = set(WorkOrderAdminUpdateSerializer.Meta.fields)


class WorkOrderEngineerUpdateSerializer(StrictFieldsMixin, RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """The assigned engineer moves the work order along and records what was done."""

    resource_serializer = WorkOrderSerializer
    forbidden_fields = _ADMIN_FIELDS - {"status", "technical_action", "checklist_results"}
    checklist_results = checklist_results_field(required=False, help_text=RESULTS_HELP)

    class Meta:
        model = WorkOrder
        fields = ["status", "technical_action", "checklist_results"]


class WorkOrderNurseUpdateSerializer(StrictFieldsMixin, RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """The reporting nurse corrects the description while the work order is open."""

    resource_serializer = WorkOrderSerializer
    forbidden_fields = _ADMIN_FIELDS - {"description"}

    class Meta:
        model = WorkOrder
        fields = ["description"]
