"""`?format=csv` on a list: every row the JSON list would page through, streamed as one CSV.

A viewset offers it by declaring `csv_fields` (which fields of its read serializer, in which order:
the CSV header is these JSON names) and `csv_filename` ("devices" -> devices-2026-12-01.csv).
core.viewsets then adds `CSVRenderer` to the list's renderers, so DRF's own content negotiation
picks it for `?format=csv` (or `Accept: text/csv`), and the list answers `csv_response(view)`:

- rows: `view.filter_queryset(view.get_queryset())`, the JSON list's filters, search, ordering and
  scope, with no page limit, read with `iterator(chunk_size=CHUNK_SIZE)` (the list's optimise():
  select_related joins, prefetch_related runs once per chunk), serialized per row by the read
  serializer trimmed to `csv_fields` and written as they come: memory does not grow with the rows;
- cells: what the JSON shows (ISO dates, date-times in UTC with `Z`), a list joined by "; ", null
  empty, booleans true/false; a text starting with = + - @ tab or CR is written with a leading
  apostrophe, so a spreadsheet shows it instead of running it (CSV injection, OWASP);
- the read audit: a serializer that audits its rows (`audit_read`, audit.reads) cannot record them
  while the body streams (the request's entries are written before the response leaves), so the
  viewset names the recorder (`csv_record_read = reads.record_read`) and the patients of the
  matching rows are noted first, from one query, and written by the audit middleware in its one
  INSERT before the first byte leaves. A row whose patient was not noted (it came to match between
  that query and the stream) is left out. A list with audited rows and no recorder is refused at
  once (ImproperlyConfigured), never streamed unaudited.

Errors stay JSON (core.viewsets re-renders them); `?format=csv` anywhere else is a 406 in the one
error shape saying where CSV is offered (CSVNegotiation)."""

import csv
import json

from django.core.exceptions import ImproperlyConfigured
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import BaseRenderer

from core.negotiation import CSV

CHUNK_SIZE = 2000  # rows per database fetch and per prefetch query
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMAT_PARAMETER = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=[CSV],
    description="`csv`: every matching row (same filters, search, ordering and scope; no pages) as a CSV "
                "attachment with a header row; errors stay JSON.")


class CSVRenderer(BaseRenderer):
    """Makes `csv` a format the list can be negotiated to; the list streams the body itself
    (csv_response), and an error answered after choosing it is rendered as JSON (core.viewsets)."""

    media_type = "text/csv"
    format = CSV
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data if isinstance(data, list) else [data]
        fields = list(rows[0]) if rows else []
        return "".join(_lines(fields, ([row.get(name) for name in fields] for row in rows))).encode()


def wants_csv(request):
    renderer = getattr(request, "accepted_renderer", None)
    return renderer is not None and renderer.format == CSV


class Echo:
    """csv.writer's file: hands each written line back instead of storing it."""

    def write(self, value):
        return value


def cell(value):
    """One value as the JSON shows it, made safe for a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return cell("; ".join(str(item) if not isinstance(item, dict) else json.dumps(item) for item in value))
    if isinstance(value, dict):
        return cell(json.dumps(value, ensure_ascii=False))
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def _lines(fields, rows):
    writer = csv.writer(Echo())
    yield writer.writerow(fields)
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def _trimmed_serializer(view, fields):
    """The read serializer, keeping only `fields` (the others are not computed at all)."""
    serializer = view.get_read_serializer_class()(context=view.get_serializer_context())
    missing = [name for name in fields if name not in serializer.fields]
    if missing:
        raise ImproperlyConfigured(f"{type(view).__name__}.csv_fields names unknown fields: {missing}")
    for name in [name for name in serializer.fields if name not in fields]:
        del serializer.fields[name]
    return serializer


def _note_reads(view, queryset, serializer):
    """The patients of the rows, noted as read (audit.reads) before anything is sent; None when the
    rows are no patient's data. Returns (ORM path to the patient id, the noted patient ids)."""
    spec = getattr(serializer, "audit_read", None)
    if not spec:
        return None
    record = getattr(view, "csv_record_read", None)
    if record is None or getattr(serializer, "audit_read_object", None):
        raise ImproperlyConfigured(f"{type(view).__name__}: audited rows need csv_record_read to export as CSV.")
    kind, path = spec
    lookup = path.replace(".", "__")
    patients = set()
    for patient_id, pk in queryset.order_by().values_list(lookup, "pk").iterator(chunk_size=CHUNK_SIZE):
        record(kind, [patient_id], queryset.model, object_id=pk)
        patients.add(patient_id)
    return path, patients


def _follow(instance, path):
    for part in path.split("."):
        instance = getattr(instance, part, None)
    return instance


def _rows(queryset, serializer, fields, audited):
    # The serializer's own audit (AuditedReadMixin) notes nothing now: the entries were written.
    rows = queryset.iterator(chunk_size=CHUNK_SIZE)
    if audited:
        path, patients = audited
        rows = (row for row in rows if _follow(row, path) in patients)
    for instance in rows:
        data = serializer.to_representation(instance)
        yield [data[name] for name in fields]


def csv_response(view):
    queryset = view.filter_queryset(view.get_queryset())  # a bad filter is a 400 here, before streaming
    queryset = queryset.using(queryset.db)  # the alias the router picks now: the body streams after the view
    fields = list(view.csv_fields)
    serializer = _trimmed_serializer(view, fields)
    audited = _note_reads(view, queryset, serializer)
    response = StreamingHttpResponse(_lines(fields, _rows(queryset, serializer, fields, audited)),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{view.csv_filename}-{timezone.localdate():%Y-%m-%d}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


class ListSchema(AutoSchema):
    """The OpenAPI of a list that offers CSV: the `format` parameter, and its 200 as `text/csv`
    (a string: the header row, then one line per row) beside the JSON page."""

    def _offers_csv(self):
        return getattr(self.view, "csv_fields", None) and getattr(self.view, "action", None) == "list"

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        return [*parameters, FORMAT_PARAMETER] if self._offers_csv() else parameters

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = response.get("content", {})
        if CSVRenderer.media_type in content and self._offers_csv():
            header = ",".join(self.view.csv_fields)
            content[CSVRenderer.media_type] = {"schema": {"type": "string", "example": header + "\r\n..."}}
        return response
