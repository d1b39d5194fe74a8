from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound

from accounts.choices import Role
from accounts.roles import ADMIN, ENGINEER_NURSE, WORKORDER_READERS
from core.filters import ListFilterBackend, ListOrderingFilter
from core.parsers import UPLOAD_PARSERS
from core.viewsets import ModelViewSet
from workorders import services
from workorders.choices import PRIORITY_RANK
from workorders.filters import RelatedSearchFilter, WorkOrderFilter
from workorders.models import WorkOrder
from workorders.pdf import work_order_pdf_response
from workorders.photos import CONTENT_TYPES
from workorders.serializers import (
    WorkOrderAdminUpdateSerializer,
    WorkOrderCreateSerializer,
    WorkOrderEngineerUpdateSerializer,
    WorkOrderNurseUpdateSerializer,
    WorkOrderSerializer,
)

# Per role: which fields it may send on PUT/PATCH, and the service that applies them.
UPDATE_BY_ROLE = {
    Role.ADMIN: (WorkOrderAdminUpdateSerializer, services.workorder_update),
    Role.ENGINEER: (WorkOrderEngineerUpdateSerializer, services.workorder_update),
    Role.NURSE: (WorkOrderNurseUpdateSerializer, services.workorder_update_description),
}


CHECKLIST_EXAMPLES = [
    OpenApiExample(
        "Record checklist results (assigned engineer)", request_only=True,
        description="`step` is the step's exact text from the work order's `checklist`; each step at most "
                    "once; the list replaces the stored results. Allowed while open or in progress.",
        value={"checklist_results": [
            {"step": "Check the alarm volume", "passed": True, "remark": ""},
            {"step": "Measure the flow rate at 100 ml/h", "passed": False, "remark": "Reads 92 ml/h"},
        ]},
    ),
    OpenApiExample(
        "Close a PM work order with its last results", request_only=True,
        description="Closing needs a result for every checklist step (else 400 naming checklist_results). "
                    "A result with passed=false opens one corrective work order (priority high, `follow_up`).",
        value={"status": "closed", "technical_action": "Preventive maintenance done; flow sensor out of range",
               "checklist_results": [
                   {"step": "Check the alarm volume", "passed": True},
                   {"step": "Measure the flow rate at 100 ml/h", "passed": False, "remark": "Reads 92 ml/h"},
               ]},
    ),
    OpenApiExample(
        "A closed PM work order with a failed step", response_only=True, status_codes=["200"],
        value={"id": 41, "work_number": "WO-202612-0007", "work_type": "PM", "status": "closed",
               "completed_date": "2026-12-01", "completed_at": "2026-12-01T09:12:44Z",
               "pm_schedule": 3, "pm_due_date": "2026-12-01",
               "checklist": ["Check the alarm volume", "Measure the flow rate at 100 ml/h"],
               "checklist_results": [
                   {"step": "Check the alarm volume", "passed": True, "remark": ""},
                   {"step": "Measure the flow rate at 100 ml/h", "passed": False, "remark": "Reads 92 ml/h"},
               ],
               "follow_up_of": None, "follow_up": 42},
    ),
]

UPDATE_DESCRIPTION = (
    "Admin: any field and the assignment; assigned engineer: `status`, `technical_action`, `checklist_results`; "
    "reporting nurse: `description` while open. Status: open -> in_progress -> closed; closed is final (409). "
    "Closing needs a technical action and, when the work order has a checklist, a result for every step; it "
    "stamps `completed_date` and `completed_at`, and a failed step opens one corrective work order "
    "(`follow_up`)."
)


@extend_schema_view(
    list=extend_schema(summary="Work orders in the caller's scope",
                       description="Admin: all; engineer: assigned to them; nurse: reported by them."),
    retrieve=extend_schema(summary="A work order"),
    create=extend_schema(summary="Report a work order on a device in your scope (engineer, nurse)",
                         description="JSON, or multipart/form-data with an optional `photo` (image, 5 MB max). "
                                     "`due_date` defaults from the priority; `assigned_to` is the device's engineer.",
                         responses={201: WorkOrderSerializer}),
    update=extend_schema(summary="Replace a work order (admin: any field; engineer: status, technical_action, "
                                 "checklist_results; nurse: description while open)",
                         description=UPDATE_DESCRIPTION, responses={200: WorkOrderSerializer},
                         examples=CHECKLIST_EXAMPLES),
    partial_update=extend_schema(summary="Update a work order (admin: any field; engineer: status, "
                                         "technical_action, checklist_results; nurse: description while open)",
                                 description=UPDATE_DESCRIPTION, responses={200: WorkOrderSerializer},
                                 examples=CHECKLIST_EXAMPLES),
    destroy=extend_schema(summary="Delete a work order (admin)"),
)
@extend_schema(tags=["work orders"])
class WorkOrderViewSet(ModelViewSet):
    parser_classes = UPLOAD_PARSERS  # the photo comes as multipart
    model = WorkOrder
    read_serializer_class = WorkOrderSerializer
    role_rules = {
        "list": WORKORDER_READERS, "retrieve": WORKORDER_READERS, "pdf": WORKORDER_READERS, "photo": WORKORDER_READERS,
        "create": ENGINEER_NURSE,
        "update": WORKORDER_READERS, "partial_update": WORKORDER_READERS,
        "destroy": ADMIN,
    }
    filterset_class = WorkOrderFilter
    # ?search= reaches the device's asset number and name through their own indexes (issue 15).
    filter_backends = [ListFilterBackend, RelatedSearchFilter, ListOrderingFilter]
    search_fields = ["work_number", "description", "device__asset_number", "device__name"]
    ordering_fields = ["id", "work_number", "created_at", "updated_at", "due_date", "priority", "status"]
    ordering = ["-created_at", "-id"]
    ordering_aliases = {"priority": "priority_rank"}
    # ?format=csv (core.csv_export): the read fields but the photo links and the checklist (steps, results).
    csv_fields = [name for name in WorkOrderSerializer.Meta.fields
                  if name not in ("photo", "photo_url", "checklist", "checklist_results")]
    csv_filename = "work-orders"

    def optimise(self, queryset):
        queryset = queryset.with_details().annotate(priority_rank=PRIORITY_RANK)
        # The PDF prints the follow-up's number: its row is joined there only (lists show its id).
        return queryset.select_related("follow_up") if self.action == "pdf" else queryset

    def get_serializer_class(self):
        if self.action == "create":
            return WorkOrderCreateSerializer
        if self.action in ("update", "partial_update"):
            role = getattr(self.request.user, "role", None)
            return UPDATE_BY_ROLE.get(role, UPDATE_BY_ROLE[Role.ADMIN])[0]
        return WorkOrderSerializer

    def perform_content_negotiation(self, request, force=False):
        # pdf/photo answer files whatever the Accept header says; their errors stay JSON.
        return super().perform_content_negotiation(request, force=force or self.action in ("pdf", "photo"))

    def perform_create(self, serializer):
        serializer.instance = services.workorder_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        update = UPDATE_BY_ROLE[self.request.user.role][1]
        serializer.instance = update(work_order=serializer.instance, by=self.request.user,
                                     **serializer.validated_data)

    def perform_destroy(self, instance):
        services.workorder_delete(work_order=instance, by=self.request.user)

    @extend_schema(summary="The work order as a PDF document", filters=False,
                   responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, "The PDF")})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        return work_order_pdf_response(self.get_object())

    @extend_schema(summary="The work order's photo (to those who may see the work order)", filters=False,
                   responses={(200, "image/*"): OpenApiResponse(OpenApiTypes.BINARY, "The image")})
    @action(detail=True, methods=["get"])
    def photo(self, request, pk=None):
        work_order = self.get_object()
        if not work_order.photo:
            raise NotFound(_("This work order has no photo."))
        extension = "." + work_order.photo.name.rsplit(".", 1)[-1].lower()
        content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
        response = FileResponse(work_order.photo.open("rb"), content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{work_order.work_number}{extension}"'
        response["Cache-Control"] = "private, no-store"
        return response
