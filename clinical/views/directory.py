"""Departments and doctor profiles."""
from drf_spectacular.utils import extend_schema, extend_schema_view

from accounts.choices import Role
from accounts.roles import ADMIN, ADMIN_DOCTOR
from clinical.filters import DoctorProfileFilter
from clinical.models import Department, DoctorProfile
from clinical.serializers import (
    DepartmentSerializer,
    DoctorProfileAdminUpdateSerializer,
    DoctorProfileSelfUpdateSerializer,
    DoctorProfileSerializer,
)
from clinical.views.common import role_of
from core.permissions import AUTHENTICATED
from core.viewsets import ModelViewSet


@extend_schema_view(
    list=extend_schema(summary="Departments"),
    retrieve=extend_schema(summary="A department"),
    create=extend_schema(summary="Create a department"),
    update=extend_schema(summary="Update a department"),
    partial_update=extend_schema(summary="Partly update a department"),
    destroy=extend_schema(summary="Delete a department (its staff, doctors and patients keep no department)"),
)
@extend_schema(tags=["departments"])
class DepartmentViewSet(ModelViewSet):
    role_rules = {"list": AUTHENTICATED, "retrieve": AUTHENTICATED,
                  **{name: ADMIN for name in ("create", "update", "partial_update", "destroy")}}
    scoped = False  # every caller sees every department
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    # A name taken meanwhile is the 400 naming `name` (clinical.models.directory.CONSTRAINT_ERRORS).


@extend_schema_view(
    list=extend_schema(summary="Doctor profiles"),
    retrieve=extend_schema(summary="A doctor profile"),
    create=extend_schema(summary="Create the profile of a doctor user"),
    update=extend_schema(summary="Update a doctor profile (admin)"),
    partial_update=extend_schema(summary="Partly update a doctor profile (admin; a doctor their own, not the licence)",
                                 request=DoctorProfileSelfUpdateSerializer),
    destroy=extend_schema(summary="Delete a doctor profile (409 while slots or appointments refer to it)"),
)
@extend_schema(tags=["doctors"])
class DoctorProfileViewSet(ModelViewSet):
    model = DoctorProfile
    read_serializer_class = DoctorProfileSerializer
    role_rules = {"list": AUTHENTICATED, "retrieve": AUTHENTICATED, "create": ADMIN, "update": ADMIN,
                  "partial_update": ADMIN_DOCTOR, "destroy": ADMIN}
    filterset_class = DoctorProfileFilter
    search_fields = ["user__first_name", "user__last_name", "user__username", "specialization",
                     "medical_license_number"]
    ordering_fields = ["id", "specialization", "user__last_name", "created_at"]

    # Reads: non-admins see approved, active doctors only, admins every profile (?approval_status=pending);
    # writes: editable_by, a doctor's own profile.
    def optimise(self, queryset):
        return queryset.select_related("user__department")

    def get_serializer_class(self):
        if self.action == "partial_update" and role_of(self.request) == Role.DOCTOR:
            return DoctorProfileSelfUpdateSerializer
        if self.action in ("update", "partial_update"):
            return DoctorProfileAdminUpdateSerializer
        return DoctorProfileSerializer

    # The serializers check the licence and the user link first; a lost race is still a 400
    # (clinical.models.directory.CONSTRAINT_ERRORS).
