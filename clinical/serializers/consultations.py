"""A consultation and its vital signs, prescriptions and notes."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.choices import DataKind
from audit.reads import AuditedReadMixin
from clinical.models import Appointment, Consultation, ConsultationNote, Prescription, VitalSigns
from core.serializers import ScopedPrimaryKeyRelatedField, display_name

# A consultation's parts reach their patient through the consultation their nested list was read
# from (its appointment selected with it): no query per row for the read audit.
CONSULTATION_PATIENT = "consultation.appointment.patient_id"


class ConsultationSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.CONSULTATIONS, "appointment.patient_id")
    appointment = ScopedPrimaryKeyRelatedField(
        lambda user: Appointment.objects.in_care_of(user),  # not under a break-glass grant
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


class VitalSignsSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.CONSULTATIONS, CONSULTATION_PATIENT)
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
            raise serializers.ValidationError(_("Give at least one measurement."))
        systolic, diastolic = measured.get("systolic_bp"), measured.get("diastolic_bp")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            raise serializers.ValidationError({"diastolic_bp": [_("diastolic_bp must be below systolic_bp.")]})
        return attrs


class PrescriptionSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.CONSULTATIONS, CONSULTATION_PATIENT)
    class Meta:
        model = Prescription
        fields = ["id", "consultation", "medication", "dosage", "route", "frequency", "duration_days", "quantity",
                  "refills", "instructions", "prescribed_by", "created_at"]
        read_only_fields = ["consultation", "prescribed_by", "created_at"]


class ConsultationNoteSerializer(AuditedReadMixin, serializers.ModelSerializer):
    audit_read = (DataKind.CONSULTATIONS, CONSULTATION_PATIENT)
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = ConsultationNote
        fields = ["id", "consultation", "note_type", "content", "author", "author_name", "created_at"]
        read_only_fields = ["consultation", "author", "created_at"]

    def get_author_name(self, obj) -> str | None:
        return display_name(obj.author)
