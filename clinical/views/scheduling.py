"""Time slots, a doctor's availability, and appointments with their transitions, history and statistics."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from accounts.roles import ADMIN_DOCTOR, APPOINTMENT_PARTIES, CLINICAL, DOCTOR
from audit import reads
from clinical import selectors, services
from clinical.filters import AppointmentFilter, PatientFieldsSearchFilter, TimeSlotFilter
from clinical.models import Appointment, TimeSlot
from clinical.serializers import (
    AppointmentCreateSerializer,
    AppointmentHistorySerializer,
    AppointmentSerializer,
    AvailabilityQuerySerializer,
    BulkSlotsResultSerializer,
    BulkSlotsSerializer,
    CancelSerializer,
    RescheduleSerializer,
    StatisticsQuerySerializer,
    StatisticsSerializer,
    TimeSlotSerializer,
    TimeSlotUpdateSerializer,
)
from core.filters import ListFilterBackend, ListOrderingFilter
from core.permissions import AUTHENTICATED
from core.viewsets import BaseViewSet, CreateMixin, ListMixin, ModelViewSet, nested_list_parameters

# An appointment's history: the same keywords for nested_list() and nested_list_parameters() in its schema.
HISTORY_LIST = {"ordering_fields": ["changed_at", "id"], "ordering": ["changed_at", "id"], "search_fields": ["note"]}

# --- Time slots -------------------------------------------------------------------------------

BULK_SCHEMA = extend_schema(summary="Create a run of slots; overlapping ones are skipped and reported",
                            request=BulkSlotsSerializer, responses={201: BulkSlotsResultSerializer})


@extend_schema_view(
    list=extend_schema(summary="Time slots (filters: doctor, date range, available=true)"),
    retrieve=extend_schema(summary="A time slot"),
    create=extend_schema(summary="Create a slot (a doctor: their own; half-open, no overlaps)"),
    update=extend_schema(summary="Move a slot (not while a live appointment holds it)"),
    partial_update=extend_schema(summary="Partly move a slot (not while a live appointment holds it)"),
    destroy=extend_schema(summary="Delete a slot (not while a live appointment holds it)"),
)
@extend_schema(tags=["time-slots"])
class TimeSlotViewSet(ModelViewSet):
    model = TimeSlot
    read_serializer_class = TimeSlotSerializer
    role_rules = {"list": AUTHENTICATED, "retrieve": AUTHENTICATED,
                  **{name: ADMIN_DOCTOR for name in ("create", "update", "partial_update", "destroy", "bulk",
                                                     "create_bulk_slots")}}
    filterset_class = TimeSlotFilter
    ordering_fields = ["date", "start_time", "id"]

    def optimise(self, queryset):
        return queryset.with_availability()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return TimeSlotUpdateSerializer
        if self.action in ("bulk", "create_bulk_slots"):
            return BulkSlotsSerializer
        return TimeSlotSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        doctor = services.acting_doctor(by=self.request.user, requested=data.get("doctor"))
        serializer.instance = services.timeslot_create(doctor=doctor, date=data["date"],
                                                       start_time=data["start_time"], end_time=data["end_time"])

    def perform_update(self, serializer):
        serializer.instance = services.timeslot_update(slot=serializer.instance, by=self.request.user,
                                                       **serializer.validated_data)

    def perform_destroy(self, instance):
        services.timeslot_delete(slot=instance, by=self.request.user)

    def _bulk(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        doctor = services.acting_doctor(by=request.user, requested=data.pop("doctor", None))
        created, skipped = services.timeslot_bulk_create(doctor=doctor, **data)
        body = BulkSlotsResultSerializer({"created": created, "skipped": skipped}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @BULK_SCHEMA
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        return self._bulk(request)

    @BULK_SCHEMA
    @action(detail=False, methods=["post"])
    def create_bulk_slots(self, request):
        return self._bulk(request)


@extend_schema(tags=["time-slots"], summary="A doctor's free slots on a date",
               parameters=[OpenApiParameter("doctor", int, required=True), OpenApiParameter("date", OpenApiTypes.DATE,
                                                                                            required=True)])
class DoctorAvailabilityView(generics.ListAPIView):
    role_rules = {"get": AUTHENTICATED}
    serializer_class = TimeSlotSerializer
    filter_backends = [OrderingFilter]  # doctor and date are required parameters, not filters
    ordering_fields = ["start_time", "end_time", "id"]

    def get_queryset(self):
        query = AvailabilityQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return TimeSlot.objects.free().filter(doctor=query.validated_data["doctor"],
                                              date=query.validated_data["date"]).order_by("start_time")


# --- Appointments -----------------------------------------------------------------------------

def _appointment_action(summary, request=None):
    return extend_schema(summary=summary, request=request, responses=AppointmentSerializer)


@extend_schema_view(
    list=extend_schema(summary="Appointments in the caller's scope"),
    retrieve=extend_schema(summary="An appointment"),
    create=extend_schema(summary="Book a free slot", request=AppointmentCreateSerializer,
                         responses={201: AppointmentSerializer}),
)
@extend_schema(tags=["appointments"])
class AppointmentViewSet(ListMixin, mixins.RetrieveModelMixin, CreateMixin, BaseViewSet):
    model = Appointment
    read_serializer_class = AppointmentSerializer
    write_actions = BaseViewSet.write_actions | {"confirm", "cancel", "reschedule", "complete", "no_show"}
    role_rules = {
        **{name: CLINICAL for name in ("list", "retrieve", "create", "history", "today", "upcoming", "statistics")},
        "confirm": ADMIN_DOCTOR, "cancel": APPOINTMENT_PARTIES,
        "reschedule": APPOINTMENT_PARTIES, "complete": DOCTOR, "no_show": ADMIN_DOCTOR,
    }
    filterset_class = AppointmentFilter
    # The patient's fields searched through the patients' trigram indexes (PatientFieldsSearchFilter).
    filter_backends = [ListFilterBackend, PatientFieldsSearchFilter, ListOrderingFilter]
    search_fields = ["reason", "patient__first_name", "patient__last_name", "patient__medical_record_number"]
    ordering_fields = ["slot__date", "slot__start_time", "created_at", "status", "id"]
    # ?format=csv (core.csv_export): every AppointmentSerializer field; the rows' patients are read-audited.
    csv_fields = AppointmentSerializer.Meta.fields
    csv_filename = "appointments"
    csv_record_read = staticmethod(reads.record_read)

    def optimise(self, queryset):
        return queryset.select_related("patient", "doctor__user", "slot")

    def get_serializer_class(self):
        if self.action == "create":
            return AppointmentCreateSerializer
        if self.action == "cancel":
            return CancelSerializer
        if self.action == "reschedule":
            return RescheduleSerializer
        if self.action == "history":
            return AppointmentHistorySerializer
        if self.action == "statistics":
            return StatisticsQuerySerializer
        return AppointmentSerializer

    def perform_create(self, serializer):
        # A doctor may book a colleague's slot for their own patient: respond() then answers the
        # appointment they just made although their scope does not list it.
        serializer.instance = services.appointment_book(by=self.request.user, **serializer.validated_data)

    @_appointment_action("Confirm a scheduled appointment")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self.respond(services.appointment_confirm(appointment=self.get_object(), by=request.user))

    @_appointment_action("Cancel an appointment (frees its slot)", CancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        appointment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(services.appointment_cancel(appointment=appointment, by=request.user,
                                                        reason=serializer.validated_data["reason"]))

    @_appointment_action("Move to another free slot of the same doctor", RescheduleSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        appointment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(services.appointment_reschedule(appointment=appointment, by=request.user,
                                                            slot=serializer.validated_data["slot"]))

    @_appointment_action("Complete an in-progress appointment (and its consultation)")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self.respond(services.appointment_complete(appointment=self.get_object(), by=request.user))

    @_appointment_action("Mark an appointment as a no-show")
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return self.respond(services.appointment_no_show(appointment=self.get_object(), by=request.user))

    @extend_schema(summary="Every change of an appointment, oldest first", filters=False,
                   parameters=nested_list_parameters(**HISTORY_LIST), responses=AppointmentHistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        entries = self.get_object().history.select_related("changed_by")
        return self.nested_list(entries, AppointmentHistorySerializer, **HISTORY_LIST)

    def _selected_list(self, select):
        """A list of the caller's appointments (with the list's filters) that a selector narrows and orders."""
        page = self.paginate_queryset(select(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(self.read_serializer(page, many=True).data)

    @extend_schema(summary="Today's appointments (UTC date of the slot)", responses=AppointmentSerializer(many=True))
    @action(detail=False, methods=["get"])
    def today(self, request):
        return self._selected_list(selectors.appointments_today)

    @extend_schema(summary="Coming scheduled or confirmed appointments, soonest first",
                   responses=AppointmentSerializer(many=True))
    @action(detail=False, methods=["get"])
    def upcoming(self, request):
        return self._selected_list(selectors.appointments_upcoming)

    @extend_schema(summary="Counts by status, by doctor and by day (default: this month to today)",
                   parameters=[StatisticsQuerySerializer], responses=StatisticsSerializer)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def statistics(self, request):
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = selectors.appointment_statistics(self.get_queryset(), **query.validated_data)
        return Response(StatisticsSerializer(stats).data)
