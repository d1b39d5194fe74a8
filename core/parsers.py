import codecs
import io
import json

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser

# A run of 19 digits or more may be an integer orjson would read as a float (past 64 bits), where
# json keeps it exact. Found by mapping digits to "0" and the rest to " " (bytes.translate) and a
# substring search: both in C, ~1.5 ms on a 650 kB batch, where a regex takes ~18 ms.
_DIGITS_ONLY = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_NUMBER = b"0" * 19


class LimitedJSONParser(JSONParser):
    """JSON parser whose malformed bodies are all 400s: nested too deeply, lone surrogates.

    A UTF-8 body is read by orjson (several times faster than json on an ingest batch), which
    refuses what the json path below refuses (malformed JSON, NaN, lone surrogates, nesting past
    1,024) and accepts the same documents otherwise. A body it refuses, one in another charset, or
    one holding a 19-digit run (orjson reads integers past 64 bits as floats) goes through the json
    path, so every refusal keeps its exact translated message.

    The size limit is Django's own: DRF (3.16+) reads a JSON body through `request.body`, which
    refuses more than DATA_UPLOAD_MAX_MEMORY_SIZE (RequestDataTooBig, mapped to 413 in
    core.errors) before this parser runs, also when Content-Length is absent or understated.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read()
        if _is_utf8(parser_context) and _LONG_NUMBER not in body.translate(_DIGITS_ONLY):
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                pass  # the json path below says why, in the messages it always gave
        return self.parse_with_json(io.BytesIO(body), media_type, parser_context)

    def parse_with_json(self, stream, media_type=None, parser_context=None):
        try:
            return _valid_unicode(super().parse(stream, media_type, parser_context))
        except RecursionError as exc:  # e.g. [[[[...]]]] nested 100,000 deep
            raise ParseError(_("JSON parse error - nested too deeply.")) from exc
        except ParseError as exc:  # DRF's "JSON parse error - <json's reason>" is not translatable
            reason = str(exc.detail).removeprefix(_DRF_PREFIX)
            raise ParseError(_("JSON parse error - %(reason)s") % {"reason": reason}) from exc


_DRF_PREFIX = "JSON parse error - "


def _is_utf8(parser_context):
    """DRF's charset (parsers.get_encoding): the Content-Type's, else DEFAULT_CHARSET."""
    encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False  # the json path answers DRF's 400 for an unknown charset


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
