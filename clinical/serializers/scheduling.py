"""Time slots, availability, appointments, their history and statistics."""
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from audit.choices import DataKind
from audit.reads import AuditedReadMixin
from clinical.choices import AppointmentStatus
from clinical.models import Appointment, AppointmentHistory, Patient, TimeSlot
from clinical.serializers.directory import PractisingDoctorField
from core.serializers import ScopedPrimaryKeyRelatedField, display_name

# --- Time slots -------------------------------------------------------------------------------

class TimeSlotSerializer(serializers.ModelSerializer):
    doctor = PractisingDoctorField(
        required=False,
        help_text="Required for an admin; a doctor may omit it (themself). Approved, active doctors only.",
    )
    is_available = serializers.SerializerMethodField()

    class Meta:
        model = TimeSlot
        fields = ["id", "doctor", "date", "start_time", "end_time", "is_available", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # end > start is checked below; overlaps by the service and the database

    def get_is_available(self, obj) -> bool:
        return not getattr(obj, "is_booked", False) and not obj.has_started

    def validate(self, attrs):
        start = attrs.get("start_time", getattr(self.instance, "start_time", None))
        end = attrs.get("end_time", getattr(self.instance, "end_time", None))
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError({"end_time": [_("end_time must be after start_time.")]})
        return attrs


class TimeSlotUpdateSerializer(TimeSlotSerializer):
    """A slot stays with its doctor; date and times may move."""

    doctor = serializers.PrimaryKeyRelatedField(read_only=True)


class BulkSlotsSerializer(serializers.Serializer):
    doctor = PractisingDoctorField(
        required=False,
        help_text="Required for an admin; a doctor may omit it (themself). Approved, active doctors only.",
    )
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7), allow_empty=False,
        help_text="ISO weekday numbers: 1 = Monday ... 7 = Sunday.",
    )
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    slot_minutes = serializers.IntegerField(min_value=5, max_value=480)

    def validate(self, attrs):
        if attrs["end_time"] <= attrs["start_time"]:
            raise serializers.ValidationError({"end_time": [_("end_time must be after start_time.")]})
        attrs["weekdays"] = set(attrs["weekdays"])
        return attrs


class SkippedSlotSerializer(serializers.Serializer):
    date = serializers.DateField()
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()
    reason = serializers.CharField()


class BulkSlotsResultSerializer(serializers.Serializer):
    created = TimeSlotSerializer(many=True)
    skipped = SkippedSlotSerializer(many=True)


class AvailabilityQuerySerializer(serializers.Serializer):
    doctor = PractisingDoctorField()
    date = serializers.DateField()


# --- Appointments -----------------------------------------------------------------------------

class AppointmentSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.APPOINTMENTS, "patient_id")
    patient_name = serializers.SerializerMethodField()
    doctor_name = serializers.SerializerMethodField()
    date = serializers.DateField(source="slot.date", read_only=True)
    start_time = serializers.TimeField(source="slot.start_time", read_only=True)
    end_time = serializers.TimeField(source="slot.end_time", read_only=True)

    class Meta:
        model = Appointment
        fields = ["id", "patient", "patient_name", "doctor", "doctor_name", "slot", "date", "start_time",
                  "end_time", "reason", "status", "cancel_reason", "created_by", "created_at", "updated_at"]
        read_only_fields = fields

    def get_patient_name(self, obj) -> str:
        return f"{obj.patient.first_name} {obj.patient.last_name}"

    def get_doctor_name(self, obj) -> str:
        return display_name(obj.doctor.user)


def _bookable_patients(user):
    return Patient.objects.in_care_of(user).active()  # a break-glass grant reads, never books


class AppointmentCreateSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(
        _bookable_patients, required=False,
        help_text="A patient may omit it (themself); others name a patient in their scope.",
    )
    slot = serializers.PrimaryKeyRelatedField(queryset=TimeSlot.objects.all())
    doctor = PractisingDoctorField(
        required=False,
        help_text="Optional: the appointment's doctor is the slot's; when given it must be that doctor.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RescheduleSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=TimeSlot.objects.all())


class AppointmentHistorySerializer(AuditedReadMixin, serializers.ModelSerializer):
    # A read of the appointment (its history), reached through the nested list's parent.
    audit_read, audit_read_object = (DataKind.APPOINTMENTS, "appointment.patient_id"), "appointment"
    from_status = serializers.ChoiceField(AppointmentStatus.choices, allow_blank=True, read_only=True,
                                          help_text="Empty for the booking itself.")
    changed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = AppointmentHistory
        fields = ["id", "changed_by", "changed_by_name", "changed_at", "from_status", "to_status", "from_slot",
                  "to_slot", "note"]
        read_only_fields = fields

    def get_changed_by_name(self, obj) -> str | None:
        return display_name(obj.changed_by)


class StatisticsQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        today = timezone.localdate()
        date_to = attrs.get("date_to") or today
        date_from = attrs.get("date_from") or date_to.replace(day=1)
        if date_from > date_to:
            raise serializers.ValidationError({"date_from": [_("date_from must not be after date_to.")]})
        if (date_to - date_from).days > 366:
            message = _("The range may cover at most %(days)s days.") % {"days": 366}
            raise serializers.ValidationError({"date_to": [message]})
        return {"date_from": date_from, "date_to": date_to}


class DoctorCountSerializer(serializers.Serializer):
    doctor = serializers.IntegerField()
    doctor_name = serializers.CharField()
    count = serializers.IntegerField()


class DayCountSerializer(serializers.Serializer):
    date = serializers.DateField()
    count = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_doctor = DoctorCountSerializer(many=True)
    by_day = DayCountSerializer(many=True)
