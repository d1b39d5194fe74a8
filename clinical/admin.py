"""Clinical data in Django admin: a second door with the API's rules. Bookings, slots and clinical
records are written through the API's services; admin shows them, and every status change it offers
is an action that calls the same service (history, checks and all)."""

from django.contrib import admin

from accounts.choices import Role
from accounts.models import User
from audit.admin_reads import AuditReadsAdminMixin
from audit.choices import DataKind
from clinical import services
from clinical.models import (
    Appointment,
    AppointmentHistory,
    BreakGlassGrant,
    Consultation,
    ConsultationNote,
    DoctorProfile,
    Patient,
    PatientDoctorMapping,
    PatientDocument,
    Prescription,
    TimeSlot,
    VitalSigns,
)
from core.admin import ReadOnlyAdminMixin, ReadOnlyInline, ServiceFormAdmin, service_action


@admin.register(DoctorProfile)
class DoctorProfileAdmin(admin.ModelAdmin):
    # The department is the user's (edit it on the user); approval is decided on the user too.
    list_display = ["user", "medical_license_number", "specialization", "department", "approval_status"]
    list_filter = ["user__department", "user__approval_status", "user__is_active", "specialization"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "medical_license_number"]
    list_select_related = ["user__department"]

    @admin.display(ordering="user__approval_status")
    def approval_status(self, obj):
        return obj.user.approval_status

    def get_readonly_fields(self, request, obj=None):
        return ["user", "created_at"] if obj else ["created_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":  # as in the API: a doctor user without a profile yet
            kwargs["queryset"] = User.objects.filter(role=Role.DOCTOR, doctor_profile__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Patient)
class PatientAdmin(AuditReadsAdminMixin, admin.ModelAdmin):
    list_display = ["medical_record_number", "first_name", "last_name", "date_of_birth", "department",
                    "is_archived"]
    list_filter = ["department", "sex", "blood_type", "is_archived"]
    search_fields = ["medical_record_number", "first_name", "last_name", "email"]
    list_select_related = ["department"]
    # Archiving is the API's DELETE (patient_archive): an action here, never a checkbox.
    readonly_fields = ["medical_record_number", "is_archived", "archived_at"]
    actions = [service_action(services.patient_archive, arg="patient", name="archive_patients",
                              description="Archive the selected patients")]

    def has_delete_permission(self, request, obj=None):
        return False  # records are archived, never erased (as DELETE in the API)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":  # only a patient login can be linked to a record
            kwargs["queryset"] = User.objects.filter(role=Role.PATIENT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(PatientDoctorMapping)
class PatientDoctorMappingAdmin(AuditReadsAdminMixin, ServiceFormAdmin):
    list_display = ["patient", "doctor", "created_by", "created_at"]
    list_filter = ["doctor__user__department", "created_at"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__medical_record_number",
                     "doctor__user__last_name", "doctor__medical_license_number"]
    list_select_related = ["patient", "doctor__user", "created_by"]
    raw_id_fields = ["patient", "doctor"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        return obj is None  # a mapping is made or removed, never re-pointed (as in the API)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "doctor":
            kwargs["queryset"] = DoctorProfile.objects.practising()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        obj.pk = services.mapping_create(patient=obj.patient, doctor=obj.doctor, by=request.user).pk


@admin.register(TimeSlot)
class TimeSlotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Slots are made and moved through the API (past, overlaps, approved doctors, booked slots are
    checked there); admin lists them and deletes a free one (a slot with appointments is protected)."""

    list_display = ["doctor", "date", "start_time", "end_time"]
    list_filter = ["date", "doctor__user__department"]
    search_fields = ["doctor__user__last_name", "doctor__medical_license_number"]
    list_select_related = ["doctor__user"]
    date_hierarchy = "date"

    def has_delete_permission(self, request, obj=None):
        return True


class AppointmentHistoryInline(ReadOnlyInline):
    model = AppointmentHistory
    fields = ["changed_at", "changed_by", "from_status", "to_status", "from_slot", "to_slot", "note"]
    readonly_fields = fields


@admin.register(Appointment)
class AppointmentAdmin(AuditReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Booked through the API; each status change is an action running the API's service, which
    checks the status machine (and the slot's start for no-show) and appends to the history."""

    list_display = ["id", "patient", "doctor", "slot", "status", "created_at"]
    list_filter = ["status", "slot__date", "doctor__user__department"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__medical_record_number",
                     "doctor__user__last_name", "reason"]
    list_select_related = ["patient", "doctor__user", "slot__doctor__user"]
    inlines = [AppointmentHistoryInline]
    actions = [
        service_action(services.appointment_confirm, arg="appointment", name="confirm_appointments",
                       description="Confirm the selected appointments"),
        service_action(services.appointment_cancel, arg="appointment", name="cancel_appointments",
                       description="Cancel the selected appointments", reason="Cancelled by an administrator."),
        service_action(services.appointment_no_show, arg="appointment", name="mark_no_show",
                       description="Mark the selected appointments as no-shows"),
    ]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the actions need it; no appointment's fields are edited here


@admin.register(AppointmentHistory)
class AppointmentHistoryAdmin(AuditReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: written by the services, never added, changed or deleted here."""

    audit_read = (DataKind.APPOINTMENTS, "appointment.patient_id")  # history is not in the change registry

    list_display = ["appointment", "from_status", "to_status", "changed_by", "changed_at"]
    list_filter = ["to_status", "changed_at"]
    search_fields = ["appointment__id", "note", "changed_by__username"]
    list_select_related = ["appointment", "changed_by"]


class VitalSignsInline(ReadOnlyInline):
    model = VitalSigns
    fields = ["systolic_bp", "diastolic_bp", "heart_rate", "temperature", "respiratory_rate", "spo2", "weight",
              "height", "recorded_by", "recorded_at"]
    readonly_fields = fields


class PrescriptionInline(ReadOnlyInline):
    model = Prescription
    fields = ["medication", "dosage", "route", "frequency", "duration_days", "quantity", "refills",
              "instructions", "prescribed_by", "created_at"]
    readonly_fields = fields


class ConsultationNoteInline(ReadOnlyInline):
    model = ConsultationNote
    fields = ["note_type", "content", "author", "created_at"]
    readonly_fields = fields


CONSULTATION_TEXT_FIELDS = ["chief_complaint", "diagnosis", "summary", "follow_up_date"]


@admin.register(Consultation)
class ConsultationAdmin(AuditReadsAdminMixin, ServiceFormAdmin):
    """Opened, started and completed through the API. An open consultation's text may be corrected
    here (through consultation_update, as the API does); a completed one is final and read-only.
    Vital signs, prescriptions and notes are added through the API only (append-only)."""

    list_display = ["id", "appointment", "status", "follow_up_date", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["chief_complaint", "diagnosis", "appointment__patient__last_name",
                     "appointment__patient__medical_record_number"]
    list_select_related = ["appointment"]
    fields = ["appointment", "status", *CONSULTATION_TEXT_FIELDS, "started_at", "completed_at", "created_at",
              "updated_at"]
    readonly_fields = ["appointment", "status", "started_at", "completed_at", "created_at", "updated_at"]
    inlines = [VitalSignsInline, PrescriptionInline, ConsultationNoteInline]

    def has_add_permission(self, request):
        return False  # opened for an appointment through the API (its status is checked there)

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_completed

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in CONSULTATION_TEXT_FIELDS}
        services.consultation_update(consultation=obj, by=request.user, **changes)


class ConsultationRecordAdmin(AuditReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """What a consultation records is append-only in the API, and added only while it is open."""

    list_select_related = ["consultation__appointment"]  # the rows' patient, for the read audit


@admin.register(VitalSigns)
class VitalSignsAdmin(ConsultationRecordAdmin):
    list_display = ["consultation", "systolic_bp", "diastolic_bp", "heart_rate", "temperature", "spo2",
                    "recorded_at"]
    list_filter = ["recorded_at"]
    search_fields = ["consultation__appointment__patient__medical_record_number"]


@admin.register(Prescription)
class PrescriptionAdmin(ConsultationRecordAdmin):
    list_display = ["medication", "dosage", "frequency", "consultation", "created_at"]
    list_filter = ["route", "created_at"]
    search_fields = ["medication", "consultation__appointment__patient__medical_record_number"]


@admin.register(ConsultationNote)
class ConsultationNoteAdmin(ConsultationRecordAdmin):
    list_display = ["consultation", "note_type", "author", "created_at"]
    list_filter = ["note_type", "created_at"]
    search_fields = ["content", "consultation__appointment__patient__medical_record_number"]


@admin.register(PatientDocument)
class PatientDocumentAdmin(AuditReadsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Uploaded through the API (type and size checked, stored under a random name); archived, never
    erased, with the same service as DELETE in the API."""

    list_display = ["title", "patient", "kind", "content_type", "size", "uploaded_at", "is_archived"]
    list_filter = ["kind", "content_type", "is_archived"]
    search_fields = ["title", "original_name", "patient__medical_record_number", "patient__last_name"]
    list_select_related = ["patient"]
    actions = [service_action(services.document_archive, arg="document", name="archive_documents",
                              description="Archive the selected documents")]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the archive action needs it; no document is edited here


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Made only through the API (reason checked, the patient's doctors and the admins notified);
    never edited or deleted. Revoking is an action running the API's service."""

    list_display = ["id", "user", "patient", "created_at", "expires_at", "revoked_at", "revoked_by"]
    list_filter = ["created_at", "expires_at", "revoked_at"]
    search_fields = ["user__username", "user__last_name", "patient__medical_record_number", "patient__last_name"]
    list_select_related = ["user", "patient", "revoked_by"]
    actions = [service_action(services.break_glass_revoke, arg="grant", name="revoke_grants",
                              description="Revoke the selected grants")]

    def has_change_permission(self, request, obj=None):
        return obj is None  # the revoke action needs it; no grant is edited here
