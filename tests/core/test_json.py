"""core.renderers / core.parsers: orjson writes what DRF's JSONRenderer wrote and reads what the json
path read, with the same refusals and messages."""

import datetime
import decimal
import io
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail, ParseError
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from accounts.choices import Role
from core.parsers import LimitedJSONParser
from core.renderers import JSONRenderer
from tests.factories.equipment import DeviceFactory

UTC = datetime.UTC
SAMPLE = ReturnDict({
    "arabic": "جهاز المراقبة", "lazy": gettext_lazy("Invalid input."), "detail": ErrorDetail("Bad", code="bad"),
    "decimal": decimal.Decimal("12.50"), "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "utc": datetime.datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC),
    "riyadh": datetime.datetime(2026, 3, 1, 11, 30, tzinfo=ZoneInfo("Asia/Riyadh")),
    "naive": datetime.datetime(2026, 3, 1, 8, 30), "date": datetime.date(2026, 3, 1),
    "time": datetime.time(9, 5, 7, 250), "duration": datetime.timedelta(hours=1, seconds=3),
    "separators": "line\u2028para\u2029end", "emoji": "\U0001F600", "escapes": 'quote " back \\ nul \x00 tab \t',
    "numbers": [0, -1, 2**63 - 1, 1.5, 0.1, True, False, None], "int_keys": {1: "one", 2: "two"},
    "rows": ReturnList([{"id": 1, "tags": ("a", "b")}], serializer=None), "empty": {}, "nothing": [],
}, serializer=None)


def drf(data, media_type=None):
    return DRFJSONRenderer().render(data, media_type, {})


def test_the_renderer_writes_drf_s_bytes():
    assert JSONRenderer().render(SAMPLE) == drf(SAMPLE)


@pytest.mark.parametrize("data", [2**64 + 1, {"big": [-(2**70)]}, None, "plain", [[[[]]]]])
def test_what_orjson_refuses_or_shortcuts_falls_back_to_the_same_bytes(data):
    assert JSONRenderer().render(data) == drf(data)


def test_an_indent_is_drf_s_pretty_print():
    media_type = "application/json; indent=4"
    assert JSONRenderer().render(SAMPLE, media_type) == drf(SAMPLE, media_type)
    assert b"\n    " in JSONRenderer().render(SAMPLE, media_type)


@pytest.mark.django_db
def test_api_answers_go_through_it_and_equal_drf_s(client_for):
    DeviceFactory(name="مضخة تسريب")
    response = client_for(Role.ADMIN).get("/api/devices/")
    assert type(response.accepted_renderer) is JSONRenderer
    assert response.content == drf(response.data)
    assert "مضخة تسريب".encode() in response.content  # as itself, not \u escapes


def parse(body, charset="utf-8"):
    return LimitedJSONParser().parse(io.BytesIO(body), "application/json", {"encoding": charset})


def parse_with_json(body):
    return LimitedJSONParser().parse_with_json(io.BytesIO(body), "application/json", {"encoding": "utf-8"})


@pytest.mark.parametrize("body", [
    b'{"readings": [{"device": 7, "bpm": 72, "spo2": 98.5, "recorded_at": "2026-01-01T00:00:00Z"}]}',
    '{"name": "جهاز", "emoji": "\\ud83d\\ude00", "nul": "\\u0000"}'.encode(),
    b'[12345678901234567890123, -9223372036854775809, 1e400]',  # exact ints past 64 bits, as json reads them
    b'{"a": 1, "a": 2}', b' [1.0, -0.0, 1E5] ',
])
def test_the_parser_reads_what_json_reads(body):
    assert repr(parse(body)) == repr(parse_with_json(body))  # the same values of the same types


def test_an_ingest_batch_is_read_by_orjson(monkeypatch):
    monkeypatch.setattr(LimitedJSONParser, "parse_with_json", lambda *args: pytest.fail("json path taken"))
    assert parse(b'{"readings": [{"device": 1, "bpm": 60}]}') == {"readings": [{"device": 1, "bpm": 60}]}


def test_another_charset_is_decoded_as_before():
    assert parse('{"name": "café"}'.encode("latin-1"), charset="latin-1") == {"name": "café"}


@pytest.mark.parametrize(("body", "words"), [
    (b"{not json", "JSON parse error - Expecting property name"),
    (b'{"a": "\\ud800"}', "unpaired surrogate"),
    (b'{"a": "x\\udfffy"}', "unpaired surrogate"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"a": NaN}', "JSON parse error"),
    (b'"\xed\xa0\x80"', "JSON parse error"),  # a surrogate encoded as UTF-8 bytes
    (b"\xef\xbb\xbf{}", "BOM"),
])
def test_a_refusal_keeps_the_json_path_s_message(body, words):
    with pytest.raises(ParseError) as refused:
        parse(body)
    with pytest.raises(ParseError) as before:
        parse_with_json(body)
    assert str(refused.value.detail) == str(before.value.detail)
    assert words in str(refused.value.detail)
