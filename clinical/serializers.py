from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from accounts.choices import Role
from accounts.models import User
from clinical.choices import AppointmentStatus
from clinical.models import (
    DEFAULT_HR_HIGH,
    DEFAULT_HR_LOW,
    Appointment,
    AppointmentHistory,
    Consultation,
    ConsultationNote,
    Department,
    DoctorProfile,
    Patient,
    PatientDoctorMapping,
    PatientDocument,
    Prescription,
    TimeSlot,
    VitalSigns,
)
from core.serializers import RoleRestrictedFieldsMixin, ScopedPrimaryKeyRelatedField, display_name


def _request_user(serializer):
    return serializer.context["request"].user


# --- Departments and doctors --------------------------------------------------------------------

class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "description", "created_at"]
        read_only_fields = ["created_at"]


@extend_schema_field({"type": "integer"})  # the department's id (the model path is the user's)
class UserDepartmentField(serializers.PrimaryKeyRelatedField):
    """A doctor's `department` is their user's (`User.department`, one source of truth for all staff):
    read from the user here, written to the user by the serializer's create/update."""

    def use_pk_only_optimization(self):
        return False

    def get_attribute(self, instance):
        return instance.user.department


class PractisingDoctorField(serializers.PrimaryKeyRelatedField):
    """`doctor` on a write: only approved, active doctors are offered or accepted (a pending
    sign-up holds no slots, appointments or patients)."""

    default_error_messages = {
        "does_not_exist": 'No approved, active doctor has id "{pk_value}" (a sign-up is approved first).',
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("pk_field", serializers.IntegerField())  # 1.5 is not id 1
        super().__init__(queryset=DoctorProfile.objects.practising().select_related("user"), **kwargs)


_UNSET = object()


class DoctorProfileSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.DOCTOR, doctor_profile__isnull=True),
        help_text="A doctor user without a profile yet.",
    )
    name = serializers.SerializerMethodField()
    email = serializers.EmailField(source="user.email", read_only=True)
    department = UserDepartmentField(
        queryset=Department.objects.all(), required=False, allow_null=True,
        help_text="The doctor user's department (the same value as the user's `department`).",
    )
    department_name = serializers.CharField(source="user.department.name", read_only=True, allow_null=True)

    class Meta:
        model = DoctorProfile
        fields = ["id", "user", "name", "email", "medical_license_number", "specialization", "department",
                  "department_name", "created_at"]
        read_only_fields = ["created_at"]

    def get_name(self, obj) -> str:
        return display_name(obj.user)

    def _save_department(self, profile, department):
        if department is not _UNSET and profile.user.department_id != getattr(department, "pk", None):
            profile.user.department = department
            profile.user.save(update_fields=["department"])

    def create(self, validated_data):
        department = validated_data.pop("department", _UNSET)
        profile = super().create(validated_data)
        self._save_department(profile, department)
        return profile

    def update(self, instance, validated_data):
        department = validated_data.pop("department", _UNSET)
        profile = super().update(instance, validated_data)
        self._save_department(profile, department)
        return profile


class DoctorProfileAdminUpdateSerializer(DoctorProfileSerializer):
    """The linked user never changes; everything else may."""

    user = serializers.PrimaryKeyRelatedField(read_only=True)


class DoctorProfileSelfUpdateSerializer(RoleRestrictedFieldsMixin, DoctorProfileSerializer):
    """A doctor edits their own profile, never the licence number nor the department (an admin
    assigns staff departments, as on the account profile); changing either is refused."""

    user = serializers.PrimaryKeyRelatedField(read_only=True)
    department = UserDepartmentField(read_only=True)
    forbidden_fields = {"medical_license_number", "user", "department"}
    forbidden_messages = {"department": "An administrator assigns departments (PATCH /api/users/{id}/)."}

    class Meta(DoctorProfileSerializer.Meta):
        read_only_fields = ["medical_license_number", "created_at"]


# --- Patients ---------------------------------------------------------------------------------

PATIENT_CONTACT_FIELDS = ["phone", "email", "address", "emergency_contact_name", "emergency_contact_phone",
                          "emergency_contact_relation"]


class PatientSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.PATIENT), required=False, allow_null=True,
        validators=[UniqueValidator(queryset=Patient.objects.all(), message="This login has a record already.")],
        help_text="The patient's login, when they have one (links the record to it).",
    )
    department_name = serializers.CharField(source="department.name", read_only=True, allow_null=True)

    class Meta:
        model = Patient
        fields = [
            "id", "medical_record_number", "user", "first_name", "last_name", "date_of_birth", "sex",
            *PATIENT_CONTACT_FIELDS, "blood_type", "medical_history", "allergies", "department",
            "department_name", "hr_low", "hr_high", "is_archived", "archived_at", "created_at", "updated_at",
        ]
        read_only_fields = ["medical_record_number", "is_archived", "archived_at", "created_at", "updated_at"]

    def validate_date_of_birth(self, value):
        if value and value > timezone.localdate():
            raise serializers.ValidationError("The date of birth cannot be in the future.")
        return value

    def validate(self, attrs):
        low = attrs.get("hr_low", getattr(self.instance, "hr_low", DEFAULT_HR_LOW))
        high = attrs.get("hr_high", getattr(self.instance, "hr_high", DEFAULT_HR_HIGH))
        if low >= high:
            field = "hr_low" if "hr_low" in attrs else "hr_high"
            raise serializers.ValidationError({field: ["hr_low must be below hr_high."]})
        return attrs


class PatientStaffSerializer(PatientSerializer):
    """Doctors and nurses edit the record but do not link logins to it (that grants access)."""

    user = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)


class PatientContactSerializer(RoleRestrictedFieldsMixin, PatientSerializer):
    """A patient edits only the contact fields of their own record; sending another field the
    staff may edit is refused (400 naming it), as for every role-restricted write."""

    user = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    forbidden_fields = set(PatientSerializer.Meta.fields) - set(PATIENT_CONTACT_FIELDS) - set(
        PatientSerializer.Meta.read_only_fields) - {"id", "department_name"}

    class Meta(PatientSerializer.Meta):
        read_only_fields = [f for f in PatientSerializer.Meta.fields if f not in PATIENT_CONTACT_FIELDS]


class MappingSerializer(serializers.ModelSerializer):
    patient = ScopedPrimaryKeyRelatedField(lambda user: Patient.objects.active())
    doctor = PractisingDoctorField(
        required=False,
        help_text="Required for an admin; a doctor may omit it (themself) and may name only themself.",
    )
    patient_name = serializers.SerializerMethodField()
    doctor_name = serializers.SerializerMethodField()

    class Meta:
        model = PatientDoctorMapping
        fields = ["id", "patient", "patient_name", "doctor", "doctor_name", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]
        validators = []  # the unique pair is the database's job; the service answers 400

    def get_patient_name(self, obj) -> str:
        return f"{obj.patient.first_name} {obj.patient.last_name}"

    def get_doctor_name(self, obj) -> str:
        return display_name(obj.doctor.user)


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
            raise serializers.ValidationError({"end_time": ["end_time must be after start_time."]})
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
            raise serializers.ValidationError({"end_time": ["end_time must be after start_time."]})
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

class AppointmentSerializer(serializers.ModelSerializer):
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
    return Patient.objects.visible_to(user).active()


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

    def validate(self, attrs):
        user = _request_user(self)
        if "patient" not in attrs:
            own = getattr(user, "patient_record", None) if user.role == Role.PATIENT else None
            if own is None or own.is_archived:
                raise serializers.ValidationError({"patient": ["This field is required."]})
            attrs["patient"] = own
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RescheduleSerializer(serializers.Serializer):
    slot = serializers.PrimaryKeyRelatedField(queryset=TimeSlot.objects.all())


class AppointmentHistorySerializer(serializers.ModelSerializer):
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
            raise serializers.ValidationError({"date_from": ["date_from must not be after date_to."]})
        if (date_to - date_from).days > 366:
            raise serializers.ValidationError({"date_to": ["The range may cover at most 366 days."]})
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


# --- Consultations ----------------------------------------------------------------------------

class ConsultationSerializer(serializers.ModelSerializer):
    appointment = ScopedPrimaryKeyRelatedField(
        lambda user: Appointment.objects.visible_to(user),
        help_text="One of the caller's own appointments; one consultation per appointment.",
    )
    patient = serializers.IntegerField(source="appointment.patient_id", read_only=True)
    doctor = serializers.IntegerField(source="appointment.doctor_id", read_only=True)

    class Meta:
        model = Consultation
        fields = ["id", "appointment", "patient", "doctor", "chief_complaint", "diagnosis", "summary",
                  "follow_up_date", "status", "started_at", "completed_at", "created_at", "updated_at"]
        read_only_fields = ["status", "started_at", "completed_at", "created_at", "updated_at"]
        validators = []  # one per appointment: the OneToOne's unique index, answered by the service


class ConsultationUpdateSerializer(ConsultationSerializer):
    appointment = serializers.PrimaryKeyRelatedField(read_only=True)


class VitalSignsSerializer(serializers.ModelSerializer):
    bmi = serializers.SerializerMethodField()

    class Meta:
        model = VitalSigns
        fields = ["id", "consultation", "systolic_bp", "diastolic_bp", "heart_rate", "temperature",
                  "respiratory_rate", "spo2", "weight", "height", "bmi", "recorded_by", "recorded_at"]
        read_only_fields = ["consultation", "recorded_by", "recorded_at"]
        validators = []

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True))
    def get_bmi(self, obj):
        return None if obj.bmi is None else str(obj.bmi)

    def validate(self, attrs):
        measured = {name: value for name, value in attrs.items() if value is not None}
        if not measured:
            raise serializers.ValidationError("Give at least one measurement.")
        systolic, diastolic = measured.get("systolic_bp"), measured.get("diastolic_bp")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            raise serializers.ValidationError({"diastolic_bp": ["diastolic_bp must be below systolic_bp."]})
        return attrs


class PrescriptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prescription
        fields = ["id", "consultation", "medication", "dosage", "route", "frequency", "duration_days", "quantity",
                  "refills", "instructions", "prescribed_by", "created_at"]
        read_only_fields = ["consultation", "prescribed_by", "created_at"]


class ConsultationNoteSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = ConsultationNote
        fields = ["id", "consultation", "note_type", "content", "author", "author_name", "created_at"]
        read_only_fields = ["consultation", "author", "created_at"]

    def get_author_name(self, obj) -> str | None:
        return display_name(obj.author)


# --- Documents --------------------------------------------------------------------------------

class PatientDocumentSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True, help_text="PDF, PNG or JPEG; 20 MB at most.")
    consultation = ScopedPrimaryKeyRelatedField(
        lambda user: Consultation.objects.visible_to(user), required=False, allow_null=True)

    class Meta:
        model = PatientDocument
        fields = ["id", "patient", "consultation", "kind", "title", "file", "original_name", "content_type",
                  "size", "uploaded_by", "uploaded_at"]
        read_only_fields = ["patient", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
