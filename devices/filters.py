import django_filters

from core.filters import IdFilter
from devices.choices import DeviceCategory, DeviceStatus
from devices.models import Device, Room

# Related filters take plain ids (IdFilter): a ModelChoiceFilter would answer 400 for an id that
# exists but lies outside the caller's scope, and 200 otherwise - an existence oracle.

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
