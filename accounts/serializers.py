from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts.choices import OtpPurpose, Role
from accounts.models import User
from accounts.roles import SELF_REGISTERABLE_ROLES, STAFF_ROLES
from core.serializers import RoleRestrictedFieldsMixin


class UserSerializer(serializers.ModelSerializer):
    """The user object: login answer, profile, users list."""

    doctor_id = serializers.IntegerField(read_only=True, allow_null=True)
    patient_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = [
            "id", "username", "email", "first_name", "last_name", "phone", "role", "approval_status",
            "is_active", "email_verified", "department", "doctor_id", "patient_id", "date_joined",
            "last_login",
        ]
        read_only_fields = fields


def _validate_username(username):
    # Login takes a username or an email: a username shaped like an email would shadow someone's.
    if "@" in username:
        raise serializers.ValidationError(_("A username cannot contain '@'."))
    return username


def _check_department(role, department):
    if department is not None and role not in STAFF_ROLES:
        raise serializers.ValidationError(
            {"department": [_("Only doctors, nurses and engineers belong to a department.")]})


def _validate_unique_email(email, instance=None):
    taken = User.objects.filter(email__iexact=email)
    if instance is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        raise serializers.ValidationError(_("A user with this email already exists."))
    return email


class NewUserSerializer(serializers.ModelSerializer):
    """Fields shared by self sign-up and admin creation, with the role's profile fields:
    a doctor needs a licence number and a specialization; a patient may give a date of birth."""

    email = serializers.EmailField()
    medical_license_number = serializers.CharField(max_length=64, required=False, write_only=True)
    specialization = serializers.CharField(max_length=120, required=False, write_only=True)
    date_of_birth = serializers.DateField(required=False, allow_null=True, write_only=True)

    class Meta:
        model = User
        fields = [
            "username", "email", "first_name", "last_name", "phone", "role", "department",
            "medical_license_number", "specialization", "date_of_birth",
        ]

    def validate_email(self, value):
        return _validate_unique_email(value)

    def validate_username(self, value):
        return _validate_username(value)

    def validate_date_of_birth(self, value):
        if value and value > timezone.localdate():
            raise serializers.ValidationError(_("The date of birth cannot be in the future."))
        return value

    def validate_medical_license_number(self, value):
        # Through the user's reverse accessor: accounts names the profile's table, never imports it.
        if User.objects.filter(doctor_profile__medical_license_number=value).exists():
            raise serializers.ValidationError(_("A doctor with this licence number already exists."))
        return value

    def validate(self, attrs):
        _check_department(attrs.get("role", Role.PATIENT), attrs.get("department"))
        if attrs.get("role", Role.PATIENT) == Role.DOCTOR:
            missing = {
                field: [_("This field is required for a doctor.")]
                for field in ("medical_license_number", "specialization")
                if not attrs.get(field)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs

    def to_representation(self, instance):
        return UserSerializer(instance, context=self.context).data


class RegisterSerializer(NewUserSerializer):
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    role = serializers.ChoiceField(choices=Role.choices, default=Role.PATIENT)

    class Meta(NewUserSerializer.Meta):
        fields = [*NewUserSerializer.Meta.fields, "password"]
        extra_kwargs = {"first_name": {"required": True, "allow_blank": False},
                        "last_name": {"required": True, "allow_blank": False}}

    def validate_role(self, value):
        if value not in SELF_REGISTERABLE_ROLES:
            raise serializers.ValidationError(_("Administrator accounts cannot be self-registered."))
        return value



class AdminUserCreateSerializer(RoleRestrictedFieldsMixin, NewUserSerializer):
    """An invited user sets their own password with the emailed code: a `password` sent here is
    refused (400), not dropped (the admin would believe it works)."""

    role = serializers.ChoiceField(choices=Role.choices)
    forbidden_fields = ("password",)
    forbidden_messages = {"password": gettext_lazy("Invited users set their own password with the emailed code "
                                                   "(POST /api/auth/password/reset/); leave it out.")}


class AdminUserUpdateSerializer(serializers.ModelSerializer):
    """An admin edits any account field; the role is fixed at creation (profiles hang on it)."""

    email = serializers.EmailField(required=False)

    class Meta:
        model = User
        fields = [
            "username", "email", "first_name", "last_name", "phone", "role", "department", "is_active",
            "approval_status", "email_verified",
        ]

    def validate_email(self, value):
        return _validate_unique_email(value, self.instance)

    def validate_username(self, value):
        return _validate_username(value)

    def validate(self, attrs):
        if "department" in attrs:
            _check_department(self.instance.role, attrs["department"])
        return attrs

    def to_representation(self, instance):
        return UserSerializer(instance, context=self.context).data


class ProfileSerializer(RoleRestrictedFieldsMixin, serializers.ModelSerializer):
    """The caller's own account: role, approval and active flags are read-only (changing one is a
    400 naming it)."""

    email = serializers.EmailField(required=False)
    doctor_id = serializers.IntegerField(read_only=True, allow_null=True)
    patient_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = User
        fields = UserSerializer.Meta.fields
        read_only_fields = [
            "id", "username", "role", "approval_status", "is_active", "email_verified", "department",
            "date_joined", "last_login",
        ]

    def validate_email(self, value):
        return _validate_unique_email(value, self.instance)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(required=False, help_text="Username (or use `email`).")
    email = serializers.CharField(required=False, help_text="Email, instead of `username`.")
    password = serializers.CharField(style={"input_type": "password"})

    def validate(self, attrs):
        if not (attrs.get("username") or attrs.get("email")):
            raise serializers.ValidationError({"username": [_("Give a username or an email.")]})
        return attrs


class LoginResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()


class RefreshTokenSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(style={"input_type": "password"})
    new_password = serializers.CharField(style={"input_type": "password"})

    def validate_old_password(self, value):
        if not self.context["request"].user.check_password(value):
            raise serializers.ValidationError(_("The current password is wrong."))
        return value



class OtpRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    purpose = serializers.ChoiceField(choices=OtpPurpose.choices)


class CodeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    code = serializers.RegexField(r"^\d{6}$", error_messages={"invalid": gettext_lazy("The code has 6 digits.")})


class PasswordResetSerializer(CodeSerializer):
    new_password = serializers.CharField(style={"input_type": "password"})


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    name = serializers.CharField()
    description = serializers.CharField()
    user_count = serializers.IntegerField()


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()



class TokenVerifySerializer(jwt_serializers.TokenVerifySerializer):
    """A blacklisted token is as invalid as a forged one: 401 token_not_valid for both."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except serializers.ValidationError as exc:
            raise InvalidToken(_("Token is blacklisted")) from exc
