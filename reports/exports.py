"""The reliability report as a streamed CSV: one header, then the device rows, the model roll-ups
and the hospital roll-ups, each line marked by its `level`. Rows are read from the database in
chunks (reports.selectors.Level) and written as they come (constant memory, one query per level)."""

import csv

from django.http import StreamingHttpResponse

from core.csv_export import Echo
from core.csv_export import cell as _cell  # the lists' escaping (CSV injection) and empty null
from reports.selectors import FIGURES

COLUMNS = ["level", "id", "asset_number", "name", "model", "hospital", "hospital_name", "devices", *FIGURES]


def _lines(report):
    writer = csv.DictWriter(Echo(), fieldnames=COLUMNS, restval="")
    yield writer.writeheader()
    for level, rows in (("device", report["devices"]), ("model", report["models"]),
                        ("hospital", report["hospitals"])):
        for row in rows:
            yield writer.writerow({"level": level, **{key: _cell(value) for key, value in row.items()}})


def reliability_csv_response(report, *, first_day, last_day):
    response = StreamingHttpResponse(_lines(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reliability-{first_day:%Y-%m-%d}-{last_day:%Y-%m-%d}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
