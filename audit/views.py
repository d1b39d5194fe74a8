from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view

from accounts.roles import ADMIN
from audit.filters import AuditEntryFilter
from audit.models import AuditEntry
from audit.pagination import AuditCursorPagination
from audit.serializers import AuditEntrySerializer
from core.filters import ListFilterBackend, ListOrderingFilter
from core.viewsets import ReadOnlyModelViewSet

UPDATE_EXAMPLE = {
    "id": 5120, "timestamp": "2026-12-01T14:02:11.204Z", "action": "update", "object_type": "clinical.consultation",
    "object_id": 77, "object_repr": "consultation #77", "patient": 5, "data_kind": "consultations",
    "changes": {"status": ["open", "completed"], "diagnosis": ["[redacted]", "[redacted]"]},
    "actor": {"id": 12, "name": "Dana Doctor", "role": "doctor"},
    "request_id": "4f7c2a9e0b1d4c3a8e6f5d2c1b0a9e8d", "remote_addr": "10.0.0.12", "break_glass": False,
}
READ_EXAMPLE = {
    "id": 5121, "timestamp": "2026-12-01T14:05:40.019Z", "action": "read", "object_type": "monitoring.reading",
    "object_id": 5, "object_repr": "patient #5", "patient": 5, "data_kind": "readings", "changes": {},
    "actor": {"id": 31, "name": "Nico Nurse", "role": "nurse"},
    "request_id": "9a8b7c6d5e4f40312a1b0c9d8e7f6a5b", "remote_addr": "10.0.0.31", "break_glass": True,
}
FILTERS = ("Filters: `actor` (user id), `patient` (id), `object_type` (\"clinical.patient\"), `action` "
           "(create, update, delete, read), `data_kind`, `break_glass` (true/false), `request_id`, "
           "`timestamp_after` (inclusive) and `timestamp_before` (exclusive), ISO 8601 date-times (without an offset: "
           "the server's TIME_ZONE; a date alone: its midnight). A bad value is a 400 naming the parameter.")


@extend_schema_view(
    list=extend_schema(
        summary="The audit log, newest first (cursor pages)",
        description="Admins only. Every create, update and delete of an audited record (changed fields old -> "
                    "new; free text shows \"[redacted]\") and every read of a patient's data (one entry per "
                    "patient per request, `break_glass` when read under an emergency-access grant). Append-"
                    "only: no route changes or deletes an entry. Cursor pages: follow `next` / `previous`; "
                    "`?page_size=` up to 100 (default 20); `count` is the number of entries matching the filters; "
                    "`?ordering=timestamp` for oldest first. " + FILTERS,
        examples=[OpenApiExample("A change and a read under break-glass", response_only=True, status_codes=["200"],
                                 value={"count": 2, "next": None,
                                        "previous": None, "results": [READ_EXAMPLE, UPDATE_EXAMPLE]})],
    ),
    retrieve=extend_schema(summary="One audit entry",
                           examples=[OpenApiExample("A change", response_only=True, status_codes=["200"],
                                                    value=UPDATE_EXAMPLE)]),
)
@extend_schema(tags=["audit"])
class AuditEntryViewSet(ReadOnlyModelViewSet):
    role_rules = {"list": ADMIN, "retrieve": ADMIN}
    model = AuditEntry
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter
    # ?ordering= is timestamp (or id: the same order) either way; no ?search= (entries hold no text to search).
    filter_backends = [ListFilterBackend, ListOrderingFilter]
    ordering_fields = ["timestamp", "id"]
    ordering = ["-timestamp", "-id"]
    pagination_class = AuditCursorPagination

    def optimise(self, queryset):
        # The actor's name and role are columns of the entry: only the content type is joined.
        return queryset.select_related("content_type")
