"""Patient records, the doctors caring for them, and their documents."""
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from accounts.choices import Role
from accounts.models import User
from audit.choices import DataKind
from audit.reads import AuditedReadMixin
from clinical.models import (
    DEFAULT_HR_HIGH,
    DEFAULT_HR_LOW,
    Consultation,
    Patient,
    PatientDoctorMapping,
    PatientDocument,
)
from clinical.serializers.directory import PractisingDoctorField
from core.serializers import RoleRestrictedFieldsMixin, ScopedPrimaryKeyRelatedField, display_name
from core.sms import E164_EXAMPLE, normalise_phone

# --- Patients ---------------------------------------------------------------------------------

class PhoneNumberField(serializers.CharField):
    """A phone number in E.164 form (core.sms.normalise_phone): spaces, dashes, dots and brackets are
    dropped ("+966 50 123-4567" is stored as "+966501234567"), blank is allowed, anything else is a 400
    naming the field with an example."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("help_text", f"E.164: + and the country code, then the number, e.g. {E164_EXAMPLE} "
                                       "(spaces and dashes are dropped); blank for none.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalise_phone(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from exc


PATIENT_CONTACT_FIELDS = ["phone", "email", "address", "emergency_contact_name", "emergency_contact_phone",
                          "emergency_contact_relation"]


class PatientSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.PATIENT_RECORD, "pk")
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(role=Role.PATIENT), required=False, allow_null=True,
        validators=[UniqueValidator(queryset=Patient.objects.all(),
                                    message=gettext_lazy("This login has a record already."))],
        help_text="The patient's login, when they have one (links the record to it).",
    )
    department_name = serializers.CharField(source="department.name", read_only=True, allow_null=True)
    phone = PhoneNumberField()
    emergency_contact_phone = PhoneNumberField()

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
            raise serializers.ValidationError(_("The date of birth cannot be in the future."))
        return value

    def validate(self, attrs):
        low = attrs.get("hr_low", getattr(self.instance, "hr_low", DEFAULT_HR_LOW))
        high = attrs.get("hr_high", getattr(self.instance, "hr_high", DEFAULT_HR_HIGH))
        if low >= high:
            field = "hr_low" if "hr_low" in attrs else "hr_high"
            raise serializers.ValidationError({field: [_("hr_low must be below hr_high.")]})
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


class MappingSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.CARE_TEAM, "patient_id")
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


# --- Documents --------------------------------------------------------------------------------

class PatientDocumentSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.DOCUMENTS, "patient_id")
    file = serializers.FileField(write_only=True, help_text="PDF, PNG or JPEG; 20 MB at most.")
    consultation = ScopedPrimaryKeyRelatedField(
        lambda user: Consultation.objects.in_care_of(user), required=False, allow_null=True)

    class Meta:
        model = PatientDocument
        fields = ["id", "patient", "consultation", "kind", "title", "file", "original_name", "content_type",
                  "size", "uploaded_by", "uploaded_at"]
        read_only_fields = ["patient", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
