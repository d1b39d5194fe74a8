"""Departments and doctor profiles: their shapes, and the `doctor` field every write uses."""
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.choices import Role
from accounts.models import User
from clinical.models import Department, DoctorProfile
from core.serializers import RoleRestrictedFieldsMixin, display_name


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
