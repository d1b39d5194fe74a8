from rest_framework.response import Response

from core.pagination import CursorPagination


class AuditCursorPagination(CursorPagination):
    """Newest first, by the (-timestamp, -id) index: following `next` costs the same on the millionth
    entry as on the first (keyset, no OFFSET). The page also says `count`, the exact number of
    entries matching the filters (the contract's list shape; one COUNT on the same indexes).
    `?page_size=` up to 100; `?ordering=timestamp` walks oldest first."""

    ordering = ("-timestamp", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request, queryset, view):
        # A tie on timestamp is broken by id, in the same direction, so no entry is skipped or repeated.
        ordering = super().get_ordering(request, queryset, view)
        first = ordering[0].lstrip("-")
        descending = ordering[0].startswith("-")
        if first in ("timestamp", "id"):
            return ("-timestamp", "-id") if descending else ("timestamp", "id")
        return ordering

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.get_next_link(),
                         "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"] = {"count": {"type": "integer", "example": 123}, **response["properties"]}
        response["required"] = ["count", *response.get("required", [])]
        return response

