from django.contrib import admin

from clinical.models import Department, DoctorProfile, Patient


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


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
