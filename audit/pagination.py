from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class AuditCursorPagination(CursorPagination):
    """Newest first, by the (-timestamp, -id) index: a page costs the same on the millionth entry as on
    the first (no COUNT, no OFFSET). `?page_size=` up to 100. A cursor that was not handed out by
    this route is a 400 naming `cursor`, like any other bad parameter."""

    ordering = ("-timestamp", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as exc:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor: use the next or previous link "
                                                             "of a page."]}) from exc
