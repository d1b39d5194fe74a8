from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response


class AuditCursorPagination(CursorPagination):
    """Newest first, by the (-timestamp, -id) index: following `next` costs the same on the millionth
    entry as on the first (keyset, no OFFSET). The page also says `count`, the exact number of
    entries matching the filters (the contract's list shape; one COUNT on the same indexes).
    `?page_size=` up to 100; `?ordering=timestamp` walks oldest first. A cursor that was not handed
    out by this route is a 400 naming `cursor`, like any other bad parameter."""

    ordering = ("-timestamp", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

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

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: [_("Invalid cursor: use the next or previous link "
                                                               "of a page.")]}) from exc
