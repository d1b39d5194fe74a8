from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser

from core.errors import PayloadTooLarge


class LimitedJSONParser(JSONParser):
    """JSON parser that refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413.

    DRF streams JSON bodies past Django's own size check, so the limit is enforced here.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # e.g. [[[[...]]]] nested 100,000 deep
            raise ParseError("JSON parse error - nested too deeply.") from exc


# Routes that accept a file (work-order photos, patient documents): JSON or multipart.
UPLOAD_PARSERS = [LimitedJSONParser, MultiPartParser]
