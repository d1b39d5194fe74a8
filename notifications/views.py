from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.permissions import AUTHENTICATED
from core.viewsets import ReadOnlyModelViewSet
from notifications import services
from notifications.filters import NotificationFilter
from notifications.models import Notification
from notifications.serializers import NotificationSerializer, ReadAllResultSerializer

ESCALATED_EXAMPLE = {
    "id": 42, "kind": "alert.escalated",
    "title": "Alert escalated to level 2: tachycardia, patient MRN-0000123",
    "body": "Critical tachycardia alert for patient MRN-0000123 (Pat Example) is open since "
            "2026-12-01 14:02 UTC and not acknowledged. Escalation level 2 of 3.",
    "data": {"alert": 17, "patient": 5, "kind": "tachycardia", "severity": "critical", "escalation_level": 2},
    "created_at": "2026-12-01T14:12:00.412Z", "read_at": None,
}
READ_EXAMPLE = {**ESCALATED_EXAMPLE, "read_at": "2026-12-01T14:13:05.118Z"}


@extend_schema_view(
    list=extend_schema(
        summary="The caller's own in-app notifications, newest first",
        description="Every signed-in role; only the caller's own (admins included). `?unread=true` lists the "
                    "unread ones, `?unread=false` the read ones (any other value is a 400 naming `unread`); "
                    "`?kind=`, `?search=` (title), `?ordering=created_at`.",
        examples=[OpenApiExample("An escalated alert, unread", response_only=True, status_codes=["200"],
                                 value={"count": 1, "next": None, "previous": None,
                                        "results": [ESCALATED_EXAMPLE]})],
    ),
    retrieve=extend_schema(summary="One of the caller's notifications (another user's: 404)",
                           examples=[OpenApiExample("An escalated alert", response_only=True,
                                                    status_codes=["200"], value=ESCALATED_EXAMPLE)]),
)
@extend_schema(tags=["notifications"])
class NotificationViewSet(ReadOnlyModelViewSet):
    role_rules = {"list": AUTHENTICATED, "retrieve": AUTHENTICATED, "read": AUTHENTICATED,
                  "read_all": AUTHENTICATED}
    model = Notification
    serializer_class = NotificationSerializer
    write_actions = {"read", "read_all"}
    filterset_class = NotificationFilter
    search_fields = ["title"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    @extend_schema(
        request=None, responses={200: NotificationSerializer},
        summary="Mark one notification read (idempotent: a read one keeps its first read_at)",
        examples=[OpenApiExample("Read", response_only=True, status_codes=["200"], value=READ_EXAMPLE)],
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        return self.respond(services.notification_mark_read(notification=self.get_object()))

    @extend_schema(
        request=None, responses={200: ReadAllResultSerializer},
        summary="Mark every unread notification of the caller read",
        examples=[OpenApiExample("Three were unread", response_only=True, status_codes=["200"],
                                 value={"marked": 3})],
    )
    @action(detail=False, methods=["post"], url_path="read-all", filter_backends=[], pagination_class=None)
    def read_all(self, request):
        marked = services.notifications_mark_all_read(user=request.user)
        return Response(ReadAllResultSerializer({"marked": marked}).data, status=status.HTTP_200_OK)
