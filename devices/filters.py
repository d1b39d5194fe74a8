import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from devices.choices import DeviceCategory, DeviceStatus
from devices.models import Device, Room

# Related filters take plain ids (IdFilter): a ModelChoiceFilter would answer 400 for an id that
# exists but lies outside the caller's scope, and 200 otherwise - an existence oracle.

MAX_ID = 2**63 - 1  # the range of a BigAutoField


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A whole-number id within the primary-key range: `1.5`, `abc` or a 20-digit number is a 400
    naming the parameter (a plain NumberFilter rounds decimals and lets huge numbers reach the
    database, where SQLite overflows into a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class RoomFilter(django_filters.FilterSet):
    hospital = IdFilter(field_name="hospital_id")

    class Meta:
        model = Room
        fields = ["hospital"]


class DeviceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeviceStatus.choices)
    category = django_filters.ChoiceFilter(choices=DeviceCategory.choices)
    hospital = IdFilter(field_name="hospital_id")
    room = IdFilter(field_name="room_id")
    assigned_engineer = IdFilter(field_name="assigned_engineer_id")
    patient = IdFilter(field_name="patient_id")

    class Meta:
        model = Device
        fields = ["status", "category", "hospital", "room", "assigned_engineer", "patient"]
