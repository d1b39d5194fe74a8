from django.contrib import admin

from clinical.models import (
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


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    list_filter = ["created_at"]


@admin.register(DoctorProfile)
class DoctorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "medical_license_number", "specialization", "department"]
    list_filter = ["department", "specialization"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "medical_license_number"]
    list_select_related = ["user", "department"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["medical_record_number", "first_name", "last_name", "date_of_birth", "department",
                    "is_archived"]
    list_filter = ["department", "sex", "blood_type", "is_archived"]
    search_fields = ["medical_record_number", "first_name", "last_name", "email"]
    list_select_related = ["department"]
    readonly_fields = ["medical_record_number"]


@admin.register(PatientDoctorMapping)
class PatientDoctorMappingAdmin(admin.ModelAdmin):
    list_display = ["patient", "doctor", "created_by", "created_at"]
    list_filter = ["doctor__department", "created_at"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__medical_record_number",
                     "doctor__user__last_name", "doctor__medical_license_number"]
    list_select_related = ["patient", "doctor__user", "created_by"]
    raw_id_fields = ["patient", "doctor", "created_by"]


@admin.register(TimeSlot)
class TimeSlotAdmin(admin.ModelAdmin):
    list_display = ["doctor", "date", "start_time", "end_time"]
    list_filter = ["date", "doctor__department"]
    search_fields = ["doctor__user__last_name", "doctor__medical_license_number"]
    list_select_related = ["doctor__user"]
    date_hierarchy = "date"
    raw_id_fields = ["doctor"]


class AppointmentHistoryInline(admin.TabularInline):
    model = AppointmentHistory
    extra = 0
    can_delete = False
    readonly_fields = ["changed_by", "changed_at", "from_status", "to_status", "from_slot", "to_slot", "note"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    # Status changes go through the services (history, rules), so admin shows them read-only.
    list_display = ["id", "patient", "doctor", "slot", "status", "created_at"]
    list_filter = ["status", "slot__date", "doctor__department"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__medical_record_number",
                     "doctor__user__last_name", "reason"]
    list_select_related = ["patient", "doctor__user", "slot__doctor__user"]
    readonly_fields = ["status", "created_by"]
    raw_id_fields = ["patient", "doctor", "slot"]
    inlines = [AppointmentHistoryInline]


@admin.register(AppointmentHistory)
class AppointmentHistoryAdmin(admin.ModelAdmin):
    list_display = ["appointment", "from_status", "to_status", "changed_by", "changed_at"]
    list_filter = ["to_status", "changed_at"]
    search_fields = ["appointment__id", "note", "changed_by__username"]
    list_select_related = ["appointment", "changed_by"]
    raw_id_fields = ["appointment", "from_slot", "to_slot", "changed_by"]


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["id", "appointment", "status", "follow_up_date", "created_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["chief_complaint", "diagnosis", "appointment__patient__last_name",
                     "appointment__patient__medical_record_number"]
    list_select_related = ["appointment"]
    raw_id_fields = ["appointment"]


@admin.register(VitalSigns)
class VitalSignsAdmin(admin.ModelAdmin):
    list_display = ["consultation", "systolic_bp", "diastolic_bp", "heart_rate", "temperature", "spo2",
                    "recorded_at"]
    list_filter = ["recorded_at"]
    search_fields = ["consultation__appointment__patient__medical_record_number"]
    list_select_related = ["consultation"]
    raw_id_fields = ["consultation", "recorded_by"]


@admin.register(Prescription)
class PrescriptionAdmin(admin.ModelAdmin):
    list_display = ["medication", "dosage", "frequency", "consultation", "created_at"]
    list_filter = ["route", "created_at"]
    search_fields = ["medication", "consultation__appointment__patient__medical_record_number"]
    list_select_related = ["consultation"]
    raw_id_fields = ["consultation", "prescribed_by"]


@admin.register(ConsultationNote)
class ConsultationNoteAdmin(admin.ModelAdmin):
    list_display = ["consultation", "note_type", "author", "created_at"]
    list_filter = ["note_type", "created_at"]
    search_fields = ["content", "consultation__appointment__patient__medical_record_number"]
    list_select_related = ["consultation", "author"]
    raw_id_fields = ["consultation", "author"]


@admin.register(PatientDocument)
class PatientDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "patient", "kind", "content_type", "size", "uploaded_at", "is_archived"]
    list_filter = ["kind", "content_type", "is_archived"]
    search_fields = ["title", "original_name", "patient__medical_record_number", "patient__last_name"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient", "consultation", "uploaded_by"]
