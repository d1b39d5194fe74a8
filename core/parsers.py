import json

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
            return _valid_unicode(super().parse(stream, media_type, parser_context))
        except RecursionError as exc:  # e.g. [[[[...]]]] nested 100,000 deep
            raise ParseError("JSON parse error - nested too deeply.") from exc


def _valid_unicode(data):
    """JSON can escape half a surrogate pair ("\\ud800"): a str that no UTF-8 encoder accepts (the
    cache, the database, the response would all fail later). Refused here, where it enters."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError("JSON parse error - a string holds an unpaired surrogate (e.g. \\ud800), "
                         "which is not valid Unicode.") from exc
    return data


# Routes that accept a file (work-order photos, patient documents): JSON or multipart.
UPLOAD_PARSERS = [LimitedJSONParser, MultiPartParser]
