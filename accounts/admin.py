from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "approval_status", "is_active",
                    "department"]
    list_filter = ["role", "approval_status", "is_active", "email_verified", "department"]
    search_fields = ["username", "email", "first_name", "last_name"]
    list_select_related = ["department"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("MediTrack", {"fields": ["role", "approval_status", "email_verified", "phone", "department"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("MediTrack", {"fields": ["email", "role", "department"]}),
    ]
