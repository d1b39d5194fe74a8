import json

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser


class LimitedJSONParser(JSONParser):
    """JSON parser whose malformed bodies are all 400s: nested too deeply, lone surrogates.

    The size limit is Django's own: DRF (3.16+) reads a JSON body through `request.body`, which
    refuses more than DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig, mapped to 413 in
    core.errors) before this parser runs, also when Content-Length is absent or understated.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return _valid_unicode(super().parse(stream, media_type, parser_context))
        except RecursionError as exc:  # e.g. [[[[...]]]] nested 100,000 deep
            raise ParseError(_("JSON parse error - nested too deeply.")) from exc
        except ParseError as exc:  # DRF's "JSON parse error - <json's reason>" is not translatable
            reason = str(exc.detail).removeprefix(_DRF_PREFIX)
            raise ParseError(_("JSON parse error - %(reason)s") % {"reason": reason}) from exc


_DRF_PREFIX = "JSON parse error - "


def _valid_unicode(data):
    """JSON can escape half a surrogate pair ("\\ud800"): a str that no UTF-8 encoder accepts (the
    cache, the database, the response would all fail later). Refused here, where it enters."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParseError(_("JSON parse error - a string holds an unpaired surrogate (e.g. \\ud800), "
                           "which is not valid Unicode.")) from exc
    return data


# Routes that accept a file (work-order photos, patient documents): JSON or multipart.
UPLOAD_PARSERS = [LimitedJSONParser, MultiPartParser]
