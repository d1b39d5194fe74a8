"""JSON out through orjson (REST_FRAMEWORK's DEFAULT_RENDERER_CLASSES), byte for byte what DRF's
JSONRenderer writes for what our answers hold: compact, UTF-8 text as itself (Arabic unescaped),
U+2028/U+2029 escaped, and every type orjson does not write the way DRF does (datetimes with "Z",
dates, times, Decimal, lazy translations, querysets, timedeltas) handed to DRF's own encoder.

A small class of our own rather than drf-orjson-renderer: that package writes datetimes in orjson's
form ("+00:00", not DRF's "Z") and has no fallback for what orjson refuses. Here anything orjson
cannot write (an int beyond 64 bits, nesting past 254) and any `indent` (Accept: application/json;
indent=4) goes through DRF's renderer unchanged. Differences that remain, none of which our
serializers produce: a float NaN or infinity is written as null, where DRF's strict renderer raised
(a 500); a float below 1e-4 is written in full (0.00001, DRF 1e-05: equal as JSON); a dict keyed by
dates serializes, where DRF raised.
"""

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_default = JSONEncoder().default


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (self.ensure_ascii or not self.compact
                or self.get_indent(accepted_media_type, renderer_context or {}) is not None):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            rendered = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80\xa8" in rendered or b"\xe2\x80\xa9" in rendered:  # as DRF: a strict JavaScript subset
            rendered = rendered.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return rendered
