from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action

from accounts.roles import ADMIN, ADMIN_ENGINEER, ENGINEER
from core.viewsets import ModelViewSet
from spareparts import services
from spareparts.filters import SparePartRequestFilter
from spareparts.models import SparePartRequest
from spareparts.serializers import DecisionSerializer, SparePartRequestSerializer, SparePartRequestWriteSerializer


@extend_schema_view(
    list=extend_schema(summary="Spare-part requests (admin: all; engineer: own)"),
    retrieve=extend_schema(summary="A spare-part request"),
    create=extend_schema(summary="Request spare parts for a device in your scope (engineer)",
                         responses={201: SparePartRequestSerializer}),
    update=extend_schema(summary="Replace a pending request (admin; engineer: own)",
                         responses={200: SparePartRequestSerializer}),
    partial_update=extend_schema(summary="Update a pending request (admin; engineer: own)",
                                 responses={200: SparePartRequestSerializer}),
    destroy=extend_schema(summary="Delete a spare-part request (admin)"),
)
@extend_schema(tags=["spare parts"])
class SparePartRequestViewSet(ModelViewSet):
    model = SparePartRequest
    read_serializer_class = SparePartRequestSerializer
    write_actions = ModelViewSet.write_actions | {"approve", "reject"}
    role_rules = {
        "list": ADMIN_ENGINEER, "retrieve": ADMIN_ENGINEER,
        "create": ENGINEER,
        "update": ADMIN_ENGINEER, "partial_update": ADMIN_ENGINEER,
        "approve": ADMIN, "reject": ADMIN, "destroy": ADMIN,
    }
    filterset_class = SparePartRequestFilter
    search_fields = ["request_number", "part_name", "description"]
    ordering_fields = ["id", "request_number", "created_at", "updated_at", "status", "quantity"]
    ordering = ["-created_at", "-id"]
    csv_fields = SparePartRequestSerializer.Meta.fields  # ?format=csv (core.csv_export)
    csv_filename = "spare-parts"

    def optimise(self, queryset):
        return queryset.with_details()

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return SparePartRequestWriteSerializer
        if self.action in ("approve", "reject"):
            return DecisionSerializer
        return SparePartRequestSerializer

    def perform_create(self, serializer):
        serializer.instance = services.spare_part_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.spare_part_update(spare_request=serializer.instance, by=self.request.user,
                                                         **serializer.validated_data)

    def perform_destroy(self, instance):
        services.spare_part_delete(spare_request=instance, by=self.request.user)

    def _decide(self, request, decide):
        spare_request = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        spare_request = decide(spare_request=spare_request, by=request.user,
                               note=serializer.validated_data["decision_note"])
        return self.respond(spare_request)

    @extend_schema(summary="Approve a pending request (admin)", request=DecisionSerializer,
                   responses=SparePartRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.spare_part_approve)

    @extend_schema(summary="Reject a pending request (admin)", request=DecisionSerializer,
                   responses=SparePartRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.spare_part_reject)
