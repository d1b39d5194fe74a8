from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from accounts.roles import ADMIN, ADMIN_ENGINEER
from core.viewsets import ModelViewSet
from maintenance import services
from maintenance.filters import PMScheduleFilter
from maintenance.models import PMSchedule
from maintenance.serializers import PMScheduleSerializer, PMScheduleWriteSerializer
from workorders.models import WorkOrder

REQUEST_EXAMPLES = [
    OpenApiExample("Monthly electrical safety check", request_only=True, value={
        "device": 7, "title": "Electrical safety check",
        "checklist": ["Inspect the power cord and plug", "Measure earth leakage current", "Test the alarms"],
        "frequency": "monthly", "interval": 1, "based_on": "scheduled_date", "next_due_date": "2027-01-31",
        "lead_days": 7, "active": True}),
    OpenApiExample("Yearly calibration, counted from the last completion", request_only=True, value={
        "device": 7, "title": "Annual calibration", "checklist": ["Calibrate flow rate", "Record the certificate"],
        "frequency": "yearly", "interval": 1, "based_on": "completed_date", "next_due_date": "2027-03-01",
        "lead_days": 30}),
]
RESPONSE_EXAMPLES = [
    OpenApiExample("A schedule with its latest work order", response_only=True, value={
        "id": 3, "device": 7, "device_asset_number": "EQ-0007", "device_name": "Infusion pump",
        "title": "Electrical safety check",
        "checklist": ["Inspect the power cord and plug", "Measure earth leakage current", "Test the alarms"],
        "frequency": "monthly", "interval": 1, "based_on": "scheduled_date", "next_due_date": "2027-02-28",
        "lead_days": 7, "active": True,
        "last_work_order": {"id": 412, "work_number": "WO-202701-0031", "status": "open", "due_date": "2027-01-31"},
        "created_at": "2026-12-01T09:00:00Z", "updated_at": "2027-01-24T10:00:00Z"}),
]
WRITE_EXAMPLES = REQUEST_EXAMPLES + RESPONSE_EXAMPLES


@extend_schema_view(
    list=extend_schema(summary="PM schedules in the caller's scope",
                       description="Admin: all; engineer: the schedules of the devices assigned to them.",
                       examples=RESPONSE_EXAMPLES),
    retrieve=extend_schema(summary="A PM schedule", examples=RESPONSE_EXAMPLES),
    create=extend_schema(summary="Create a PM schedule on a device in service (admin)",
                         description="The generator (`manage.py generate_pm_workorders`, hourly) creates each "
                                     "occurrence's PM work order `lead_days` before `next_due_date`, exactly once.",
                         request=PMScheduleWriteSerializer, responses={201: PMScheduleSerializer},
                         examples=WRITE_EXAMPLES),
    update=extend_schema(summary="Replace a PM schedule (admin)", request=PMScheduleWriteSerializer,
                         responses={200: PMScheduleSerializer}, examples=WRITE_EXAMPLES),
    partial_update=extend_schema(summary="Update a PM schedule (admin)", request=PMScheduleWriteSerializer,
                                 responses={200: PMScheduleSerializer}, examples=WRITE_EXAMPLES),
    destroy=extend_schema(summary="Delete a PM schedule (admin); its work orders stay"),
)
@extend_schema(tags=["maintenance"])
class PMScheduleViewSet(ModelViewSet):
    model = PMSchedule
    read_serializer_class = PMScheduleSerializer
    role_rules = {
        "list": ADMIN_ENGINEER, "retrieve": ADMIN_ENGINEER,
        "create": ADMIN, "update": ADMIN, "partial_update": ADMIN, "destroy": ADMIN,
    }
    filterset_class = PMScheduleFilter
    search_fields = ["title", "device__asset_number"]
    ordering_fields = ["next_due_date", "title", "id"]
    ordering = ["next_due_date", "id"]

    def optimise(self, queryset):
        latest = WorkOrder.objects.filter(pm_schedule=OuterRef("pk")).order_by("-pm_due_date", "-id")
        return queryset.select_related("device").annotate(
            last_wo_id=Subquery(latest.values("id")[:1]),
            last_wo_number=Subquery(latest.values("work_number")[:1]),
            last_wo_status=Subquery(latest.values("status")[:1]),
            last_wo_due=Subquery(latest.values("pm_due_date")[:1]),
        )

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return PMScheduleWriteSerializer
        return PMScheduleSerializer

    def perform_create(self, serializer):
        serializer.instance = services.pm_schedule_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.pm_schedule_update(schedule=serializer.instance, by=self.request.user,
                                                          **serializer.validated_data)

    def perform_destroy(self, instance):
        services.pm_schedule_delete(schedule=instance, by=self.request.user)
