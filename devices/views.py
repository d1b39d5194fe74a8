from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.decorators import action

from accounts.choices import Role
from accounts.roles import ADMIN, ADMIN_ENGINEER, CARE_TEAM, DEVICE_READERS, ENGINEER, ENGINEER_NURSE
from core.permissions import AUTHENTICATED
from core.viewsets import ModelViewSet, nested_ordering_parameter
from devices import services
from devices.filters import DeviceFilter, RoomFilter
from devices.models import Device, Hospital, Room
from devices.serializers import (
    AssignPatientSerializer,
    ChangeStatusSerializer,
    DeviceEngineerUpdateSerializer,
    DeviceSerializer,
    DeviceWriteSerializer,
    DowntimePeriodSerializer,
    HospitalSerializer,
    InventoryCheckSerializer,
    InventorySerializer,
    RoomSerializer,
)

FACILITY_RULES = {
    "list": AUTHENTICATED, "retrieve": AUTHENTICATED,
    "create": ADMIN, "update": ADMIN, "partial_update": ADMIN, "destroy": ADMIN,
}
CHECK_ORDERING_FIELDS, CHECK_ORDERING = ("checked_at", "id"), ("-checked_at", "-id")
DOWNTIME_ORDERING_FIELDS, DOWNTIME_ORDERING = ("started_at", "ended_at"), ("-started_at", "-id")

CHANGE_STATUS_EXAMPLES = [
    OpenApiExample("Out of service for a fault", request_only=True,
                   value={"status": "maintenance", "reason": "Occlusion alarm will not clear", "work_order": 42}),
    OpenApiExample("Back in service", request_only=True, value={"status": "active"}),
    OpenApiExample("Toggle active/inactive", request_only=True, value={}),
]
DOWNTIME_EXAMPLES = [
    OpenApiExample("A closed and an open period", response_only=True, value={
        "count": 2, "next": None, "previous": None, "results": [
            {"id": 12, "started_at": "2026-11-30T08:15:00Z", "ended_at": None, "status": "maintenance",
             "reason": "Occlusion alarm will not clear", "work_order": 42,
             "work_order_number": "WO-202611-0042", "duration_hours": 27.75, "opened_by": 5, "closed_by": None},
            {"id": 9, "started_at": "2026-11-02T10:00:00Z", "ended_at": "2026-11-02T16:30:00Z",
             "status": "inactive", "reason": "", "work_order": None, "work_order_number": None,
             "duration_hours": 6.5, "opened_by": 1, "closed_by": 1},
        ]}),
]


@extend_schema_view(
    list=extend_schema(summary="Hospitals and clinics"),
    retrieve=extend_schema(summary="A hospital or clinic"),
    create=extend_schema(summary="Create a hospital or clinic (admin)"),
    update=extend_schema(summary="Replace a hospital or clinic (admin)"),
    partial_update=extend_schema(summary="Update a hospital or clinic (admin)"),
    destroy=extend_schema(summary="Delete a hospital or clinic without devices (admin; 409 otherwise)"),
)
@extend_schema(tags=["facilities"])
class HospitalViewSet(ModelViewSet):
    role_rules = FACILITY_RULES
    scoped = False  # every signed-in user sees every hospital
    queryset = Hospital.objects.order_by("name")
    serializer_class = HospitalSerializer
    filterset_fields = ["kind"]
    search_fields = ["name", "address"]
    ordering_fields = ["id", "name", "kind", "created_at"]


@extend_schema_view(
    list=extend_schema(summary="Rooms (filter: hospital)"),
    retrieve=extend_schema(summary="A room"),
    create=extend_schema(summary="Create a room (admin; number unique within the hospital)"),
    update=extend_schema(summary="Replace a room (admin; 409 room_in_use: moving a room that holds devices)"),
    partial_update=extend_schema(summary="Update a room (admin; 409 room_in_use: moving a room that holds devices)"),
    destroy=extend_schema(summary="Delete a room no device or inventory check refers to (admin; 409 otherwise)"),
)
@extend_schema(tags=["facilities"])
class RoomViewSet(ModelViewSet):
    role_rules = FACILITY_RULES
    scoped = False  # every signed-in user sees every room
    queryset = Room.objects.select_related("hospital").order_by("hospital__name", "number")
    serializer_class = RoomSerializer
    filterset_class = RoomFilter
    search_fields = ["number", "name"]
    ordering_fields = ["id", "number", "name", "floor"]

    def perform_update(self, serializer):
        services.room_update(serializer)


@extend_schema_view(
    list=extend_schema(summary="Devices in the caller's scope",
                       description="Admin: all; engineer and nurse: assigned to them; doctor: the monitors "
                                   "of their patients. Search: asset/serial number, name, model, manufacturer. "
                                   "`warranty_expiring_within=30`: warranties ending today..today+30; "
                                   "`calibration_overdue=true`: next_calibration_due before today."),
    retrieve=extend_schema(summary="A device (notes, assigned patient, display names)"),
    create=extend_schema(summary="Create a device (admin)", responses={201: DeviceSerializer}),
    update=extend_schema(summary="Replace a device (admin; engineer: status and notes of own devices)",
                         responses={200: DeviceSerializer}),
    partial_update=extend_schema(summary="Update a device (admin; engineer: status and notes of own devices)",
                                 responses={200: DeviceSerializer}),
    destroy=extend_schema(summary="Delete a device with no history (admin; 409 device_in_use: decommission it)"),
)
@extend_schema(tags=["devices"])
class DeviceViewSet(ModelViewSet):
    role_rules = {
        "list": DEVICE_READERS, "retrieve": DEVICE_READERS, "inventory_checks": DEVICE_READERS,
        "downtime": DEVICE_READERS,
        "assigned": ENGINEER_NURSE,
        "create": ADMIN, "destroy": ADMIN,
        "update": ADMIN_ENGINEER, "partial_update": ADMIN_ENGINEER,
        "change_status": ADMIN_ENGINEER,
        "inventory": ENGINEER,
        "assign": CARE_TEAM, "unassign": CARE_TEAM,
    }
    model = Device
    read_serializer_class = DeviceSerializer
    write_actions = ModelViewSet.write_actions | {"inventory", "change_status", "assign", "unassign"}
    # Assigning reaches the free pool of monitors too; unassigning, the monitors of patients one sees.
    action_scopes = {"assign": "assignable_by", "unassign": "unassignable_by"}
    filterset_class = DeviceFilter
    search_fields = ["asset_number", "serial_number", "name", "model", "manufacturer"]
    ordering_fields = ["id", "asset_number", "name", "status", "category", "last_inventory_date", "warranty_expires",
                       "next_calibration_due", "created_at"]
    ordering = ["asset_number"]
    # ?format=csv (core.csv_export): every DeviceSerializer field; assigned_nurses and their names as "a; b".
    csv_fields = DeviceSerializer.Meta.fields
    csv_filename = "devices"

    def optimise(self, queryset):
        return queryset.with_details()

    def get_serializer_class(self):
        if self.action == "create":
            return DeviceWriteSerializer
        if self.action in ("update", "partial_update"):
            if getattr(self.request.user, "role", None) == Role.ENGINEER:
                return DeviceEngineerUpdateSerializer
            return DeviceWriteSerializer
        return {
            "inventory": InventorySerializer,
            "inventory_checks": InventoryCheckSerializer,
            "change_status": ChangeStatusSerializer,
            "assign": AssignPatientSerializer,
        }.get(self.action, DeviceSerializer)

    def perform_create(self, serializer):
        serializer.instance = services.device_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.device_update(device=serializer.instance, by=self.request.user,
                                                     **serializer.validated_data)

    def perform_destroy(self, instance):
        services.device_delete(device=instance, by=self.request.user)

    @extend_schema(summary="The caller's devices (engineer, nurse)", responses=DeviceSerializer(many=True))
    @action(detail=False, methods=["get"])
    def assigned(self, request):
        # For engineers and nurses (its only callers) their read scope is their devices: a list.
        return self.list(request)

    @extend_schema(summary="Inventory check: confirm the device's room (engineer, own devices)",
                   request=InventorySerializer, responses=DeviceSerializer)
    @action(detail=True, methods=["patch"])
    def inventory(self, request, pk=None):
        device = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = services.device_inventory_check(device=device, by=request.user, **serializer.validated_data)
        return self.respond(device)

    @extend_schema(summary="The device's inventory checks, newest first", filters=False,
                   parameters=[nested_ordering_parameter(CHECK_ORDERING_FIELDS, CHECK_ORDERING)],
                   responses=InventoryCheckSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="inventory-checks")
    def inventory_checks(self, request, pk=None):
        checks = self.get_object().inventory_checks.select_related("checked_by", "from_room", "to_room")
        return self.nested_list(checks, InventoryCheckSerializer, ordering_fields=CHECK_ORDERING_FIELDS,
                                ordering=CHECK_ORDERING)

    @extend_schema(summary="The device's downtime periods, newest first (as device retrieve)", filters=False,
                   description="Opened when the status leaves `active` (or a monitor goes silent), closed when "
                               "it returns. `duration_hours` runs to now while a period is open.",
                   parameters=[nested_ordering_parameter(DOWNTIME_ORDERING_FIELDS, DOWNTIME_ORDERING)],
                   responses=DowntimePeriodSerializer(many=True), examples=DOWNTIME_EXAMPLES)
    @action(detail=True, methods=["get"])
    def downtime(self, request, pk=None):
        periods = self.get_object().downtime_periods.select_related("work_order")
        return self.nested_list(periods, DowntimePeriodSerializer, ordering_fields=DOWNTIME_ORDERING_FIELDS,
                                ordering=DOWNTIME_ORDERING)

    def get_serializer_context(self):
        # One instant for every open period's duration in a downtime page.
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(summary="Set the status, or toggle active/inactive without a body (admin, engineer own)",
                   description="Leaving `active` opens a downtime period with the optional `reason` and "
                               "`work_order` (one of this device's; default its newest open corrective work "
                               "order); returning to `active` closes it.",
                   request=ChangeStatusSerializer, responses=DeviceSerializer, examples=CHANGE_STATUS_EXAMPLES)
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request, pk=None):
        device = self.get_object()
        serializer = self.get_serializer(data=request.data,
                                         context={**self.get_serializer_context(), "device": device})
        serializer.is_valid(raise_exception=True)
        device = services.device_change_status(device=device, by=request.user, **serializer.validated_data)
        return self.respond(device)

    @extend_schema(summary="Assign a monitor to a patient (admin, doctor, nurse)",
                   request=AssignPatientSerializer, responses=DeviceSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        device = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device = services.device_assign_patient(device=device, by=request.user, **serializer.validated_data)
        return self.respond(device)

    @extend_schema(summary="Take a monitor off its patient (admin, doctor, nurse)", request=None,
                   responses=DeviceSerializer)
    @action(detail=True, methods=["post"])
    def unassign(self, request, pk=None):
        device = services.device_unassign_patient(device=self.get_object(), by=request.user)
        return self.respond(device)
