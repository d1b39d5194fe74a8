from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.decorators import action

from accounts.roles import ADMIN
from core.viewsets import ModelViewSet, nested_list_parameters
from webhooks import services
from webhooks.choices import DeliveryStatus, EventType
from webhooks.filters import WebhookDeliveryFilter, WebhookEndpointFilter
from webhooks.models import WebhookEndpoint
from webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWriteSerializer,
)

DELIVERY_ORDERING_FIELDS = ["created_at", "id", "attempts", "status"]
DELIVERY_ORDERING = ["-created_at", "-id"]
DELIVERY_FILTERS = [
    OpenApiParameter("status", str, enum=DeliveryStatus.values, description="Only deliveries in this state."),
    OpenApiParameter("event_type", str, enum=EventType.values, description="Only deliveries of this event type."),
]
WRITE = {"request": WebhookEndpointWriteSerializer, "responses": {200: WebhookEndpointSerializer}}


@extend_schema_view(
    list=extend_schema(summary="Webhook endpoints (admin)"),
    retrieve=extend_schema(summary="A webhook endpoint (admin; its secret is never shown again)"),
    create=extend_schema(summary="Register a webhook endpoint (admin; the answer shows its secret, once)",
                         description="`url`: https:// (http:// only with DEBUG on). `event_types`: the live-event "
                                     "types to receive. `secret`: the HMAC-SHA256 key, generated when omitted. "
                                     "docs/webhooks.md describes the deliveries.",
                         request=WebhookEndpointWriteSerializer, responses={201: WebhookEndpointCreatedSerializer}),
    update=extend_schema(summary="Replace a webhook endpoint (admin)", **WRITE),
    partial_update=extend_schema(summary="Update a webhook endpoint (admin; a new secret replaces the old at once)",
                                 **WRITE),
    destroy=extend_schema(summary="Delete a webhook endpoint and its delivery log (admin)"),
)
@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(ModelViewSet):
    role_rules = {action_name: ADMIN for action_name in
                  ("list", "retrieve", "create", "update", "partial_update", "destroy", "deliveries")}
    scoped = False  # admin configuration: admins see every endpoint
    queryset = WebhookEndpoint.objects.order_by("id")
    read_serializer_class = WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilter
    search_fields = ["url", "description"]
    ordering_fields = ["id", "url", "created_at"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return WebhookEndpointWriteSerializer
        return WebhookEndpointSerializer

    def get_read_serializer_class(self):
        return WebhookEndpointCreatedSerializer if self.action == "create" else WebhookEndpointSerializer

    def perform_create(self, serializer):
        serializer.instance = services.endpoint_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.endpoint_update(endpoint=serializer.instance, **serializer.validated_data)

    @extend_schema(summary="The endpoint's deliveries, newest first (admin; filter: status, event_type)",
                   filters=False, responses=WebhookDeliverySerializer(many=True),
                   parameters=[*nested_list_parameters(DELIVERY_ORDERING_FIELDS, DELIVERY_ORDERING), *DELIVERY_FILTERS])
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        return self.nested_list(self.get_object().deliveries.all(), WebhookDeliverySerializer,
                                ordering_fields=DELIVERY_ORDERING_FIELDS, ordering=DELIVERY_ORDERING,
                                filterset_class=WebhookDeliveryFilter)
