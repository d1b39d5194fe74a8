import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.filters import IdFilter, StrictBooleanFilter
from devices.choices import CalibrationState, DeviceCategory, DeviceStatus
from devices.models import Device, Room, calibration_overdue_q, calibration_state_expression, warranty_expiring_q

MAX_WARRANTY_DAYS = 3650

# Related filters take plain ids (IdFilter): a ModelChoiceFilter would answer 400 for an id that
# exists but lies outside the caller's scope, and 200 otherwise - an existence oracle.

class RoomFilter(django_filters.FilterSet):
    hospital = IdFilter(field_name="hospital_id")

    class Meta:
        model = Room
        fields = ["hospital"]


@extend_schema_field(OpenApiTypes.INT)
class DaysFilter(django_filters.NumberFilter):
    """A whole number of days, 0 to MAX_WARRANTY_DAYS: anything else is a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_WARRANTY_DAYS)
        super().__init__(*args, **kwargs)


class DeviceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeviceStatus.choices)
    category = django_filters.ChoiceFilter(choices=DeviceCategory.choices)
    hospital = IdFilter(field_name="hospital_id")
    room = IdFilter(field_name="room_id")
    assigned_engineer = IdFilter(field_name="assigned_engineer_id")
    patient = IdFilter(field_name="patient_id")
    # Identifier prefixes: served by the UPPER(...) text_pattern_ops indexes (devices 0004).
    asset_number = django_filters.CharFilter(lookup_expr="istartswith", help_text=(
        "Asset numbers starting with this, any case: `EQ-00` finds EQ-0012 and eq-0099."))
    serial_number = django_filters.CharFilter(lookup_expr="istartswith", help_text=(
        "Serial numbers starting with this, any case."))
    warranty_expiring_within = DaysFilter(
        method="filter_warranty_expiring_within",
        help_text=f"Warranty ends between today and today + this many days (0 to {MAX_WARRANTY_DAYS}).")
    calibration_overdue = StrictBooleanFilter(
        method="filter_calibration_overdue",
        help_text="true: next_calibration_due before today; false: every other device (none due included).")
    calibration_state = django_filters.ChoiceFilter(
        choices=CalibrationState.choices, method="filter_calibration_state",
        help_text="The derived calibration_state: not_calibrated (never calibrated), calibration_required "
                  "(next_calibration_due before today) or calibrated.")

    class Meta:
        model = Device
        fields = ["status", "category", "hospital", "room", "assigned_engineer", "patient", "asset_number",
                  "serial_number", "warranty_expiring_within", "calibration_overdue", "calibration_state"]

    def filter_calibration_state(self, queryset, name, value):
        # The field's own SQL (devices.models.calibration_state_expression), under a name of its own
        # so the filter works whether or not the queryset already carries the annotation.
        return queryset.alias(calibration_state_filter=calibration_state_expression()).filter(
            calibration_state_filter=value)

    def filter_warranty_expiring_within(self, queryset, name, value):
        return queryset.filter(warranty_expiring_q(value))

    def filter_calibration_overdue(self, queryset, name, value):
        return queryset.filter(calibration_overdue_q()) if value else queryset.exclude(calibration_overdue_q())
