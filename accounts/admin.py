"""Accounts in Django admin: a second door with the API's rules. Role and approval are never edited
here: approve, reject, deactivate and reactivate are actions running the API's services (emails,
token revocation and all), and edits to an account go through `user_update` like PATCH /api/users/."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import services
from accounts.choices import Role
from accounts.models import User
from core.admin import ReadOnlyAdminMixin, ServiceFormAdmin, service_action

# Fields of the change form that an admin may edit, as on PATCH /api/users/{id}/.
EDITABLE_FIELDS = ["username", "email", "first_name", "last_name", "phone", "department"]


class PasswordChangeForm(AdminPasswordChangeForm):
    """Setting a password here revokes the user's refresh tokens, as a password change does in the API."""

    def save(self, commit=True):
        user = super().save(commit)
        if commit:
            services.revoke_all_tokens(user)
        return user


@admin.register(User)
class UserAdmin(ServiceFormAdmin, DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "approval_status", "is_active",
                    "department"]
    list_filter = ["role", "approval_status", "is_active", "email_verified", "department"]
    search_fields = ["username", "email", "first_name", "last_name"]
    list_select_related = ["department"]
    change_password_form = PasswordChangeForm
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name", "email", "phone"]}),
        ("MediTrack", {"fields": ["role", "department", "approval_status", "is_active", "email_verified"]}),
        ("Django admin access (admins only, from the role)", {"fields": ["is_staff", "is_superuser"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    # The role is chosen once, when the account is made (profiles hang on it).
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        ("MediTrack", {"fields": ["email", "role", "department"]}),
    ]
    readonly_fields = ["role", "approval_status", "is_active", "email_verified", "is_staff", "is_superuser",
                       "last_login", "date_joined"]
    actions = [
        service_action(services.user_approve, arg="user", name="approve_users",
                       description="Approve the selected pending sign-ups"),
        service_action(services.user_reject, arg="user", name="reject_users",
                       description="Reject the selected pending sign-ups"),
        service_action(services.user_deactivate, arg="user", name="deactivate_users",
                       description="Deactivate the selected accounts (revokes their tokens)"),
        service_action(services.user_update, arg="user", name="reactivate_users", is_active=True,
                       description="Reactivate the selected (approved) accounts"),
    ]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are deactivated, never erased (history points at them)

    def save_model(self, request, obj, form, change):
        if not change:
            # As an admin-created account in the API: approved; an admin is a Django superuser.
            obj.is_staff = obj.is_superuser = obj.role == Role.ADMIN
            super().save_model(request, obj, form, change)
            return
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
        services.user_update(user=obj, by=request.user, **changes)


# simplejwt's token tables: deleting a blacklist entry would make a revoked refresh token valid
# again, and an outstanding token is the record the blacklist points at. Viewable, never edited.
for _model in (BlacklistedToken, OutstandingToken):
    admin.site.unregister(_model)


@admin.register(OutstandingToken)
class OutstandingTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["jti", "user", "created_at", "expires_at"]
    search_fields = ["user__username", "jti"]


@admin.register(BlacklistedToken)
class BlacklistedTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["token", "blacklisted_at"]
    search_fields = ["token__user__username", "token__jti"]
