"""Break-glass grants (emergency read access to one patient) and a patient's access log."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.choices import Role
from accounts.roles import ADMIN, CARE_TEAM, DOCTOR_NURSE
from audit.models import AuditEntry
from clinical import services
from clinical.filters import BreakGlassGrantFilter
from clinical.models import BreakGlassGrant, Patient
from clinical.serializers.access import (
    AccessLogEntrySerializer,
    BreakGlassGrantSerializer,
    BreakGlassReasonSerializer,
    RevokeBodySerializer,
)
from core.viewsets import BaseViewSet, ReadOnlyModelViewSet

# Who reads a patient's access log: the patient (their own record only: visible_to) and admins.
ACCESS_LOG_READERS = frozenset({Role.ADMIN, Role.PATIENT})


@extend_schema_view(
    list=extend_schema(summary="Break-glass grants (admin: all; doctor, nurse: their own)"),
    retrieve=extend_schema(summary="A break-glass grant"),
)
@extend_schema(tags=["break-glass"])
class BreakGlassGrantViewSet(ReadOnlyModelViewSet):
    model = BreakGlassGrant
    serializer_class = BreakGlassGrantSerializer
    role_rules = {"list": CARE_TEAM, "retrieve": CARE_TEAM, "revoke": ADMIN}
    write_actions = {"revoke"}
    filterset_class = BreakGlassGrantFilter
    search_fields = ["patient__medical_record_number", "user__username", "user__last_name"]
    ordering_fields = ["created_at", "expires_at", "id"]
    ordering = ["-created_at", "-id"]

    def optimise(self, queryset):
        return queryset.select_related("user", "revoked_by")

    def get_serializer_class(self):
        return RevokeBodySerializer if self.action == "revoke" else BreakGlassGrantSerializer

    @extend_schema(summary="Revoke a live grant now (409 grant_not_live once revoked or expired)",
                   description="Takes no body: any key sent is a 400 naming it.", request=None,
                   responses=BreakGlassGrantSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        grant = self.get_object()
        RevokeBodySerializer(data=request.data).is_valid(raise_exception=True)  # nothing is silently dropped
        return self.respond(services.break_glass_revoke(grant=grant, by=request.user))


# Two routes under /patients/{id}/ about access to the record rather than the record itself, one
# viewset each, so that OPTIONS on each answers for its own action and roles.

@extend_schema(tags=["patients"])
class PatientBreakGlassViewSet(BaseViewSet):
    model = Patient
    serializer_class = BreakGlassReasonSerializer
    role_rules = {"break_glass": DOCTOR_NURSE}
    # The point of break-glass: any patient not archived, outside the caller's scope (else a 404).
    action_scopes = {"break_glass": "break_glass_reachable_by"}
    write_actions = {"break_glass"}

    @extend_schema(summary="Emergency read access to a patient outside your care, for BREAK_GLASS_MINUTES",
                   description="Creates a new grant each time (a grant is never extended); notifies the "
                               "patient's doctors and the admins at once. 400 naming `reason` under 10 "
                               "characters; 409 `already_in_care` for a patient already in your care.",
                   request=BreakGlassReasonSerializer, responses={201: BreakGlassGrantSerializer})
    @action(detail=True, methods=["post"], url_path="break-glass")
    def break_glass(self, request, pk=None):
        patient = self.get_object()
        body = BreakGlassReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grant = services.break_glass_grant(user=request.user, patient=patient, reason=body.validated_data["reason"])
        return Response(BreakGlassGrantSerializer(grant).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["patients"])
class PatientAccessLogViewSet(BaseViewSet):
    model = Patient
    serializer_class = AccessLogEntrySerializer
    role_rules = {"access_log": ACCESS_LOG_READERS}

    @extend_schema(summary="Who viewed or changed this patient's data, and when (newest first)", filters=False,
                   responses=AccessLogEntrySerializer(many=True))
    @action(detail=True, methods=["get"], url_path="access-log")
    def access_log(self, request, pk=None):
        patient = self.get_object()
        entries = AuditEntry.objects.filter(patient_id=patient.pk).order_by("-timestamp", "-id")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AccessLogEntrySerializer(page, many=True).data)
