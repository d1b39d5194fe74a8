"""The reliability report: uptime, downtime, failures, MTBF and MTTR per device, per model and per
hospital over a time range, computed in the database (docs/reliability.md has every formula with a
worked example).

The range is [start, end) (aware datetimes). Every figure is clipped to it:

- a device is observed from max(start, its created_at) until min(end, now): observed hours;
- a downtime period counts for its overlap with that window (an open one ends now), except time
  spent decommissioned (a period of its own, see devices.services.device_set_status): that is
  taken off the observed hours instead, so a retired device neither fails nor drags uptime down;
- a failure is a corrective work order reported (created_at) in [start, end);
- a repair is a closed corrective work order (completed_at set) whose interval
  [created_at, completed_at] reaches into the range; it counts for its part inside [start, end).

One query per level. Each level's statement computes the per-device figures the same way: the
devices in scope, LEFT JOINed to their downtime, failures and repairs, each aggregated once per
device in a derived table (GROUP BY device_id: the planner knows it is unique per device and
hash-joins it), then answers the device rows or GROUPs them by model or hospital, summing hours
and counts and recomputing the ratios from the sums (never an average of averages).

SQL rather than the ORM because the ORM cannot join a derived table: its correlated subqueries
(four per device) took 2.7 s for the three levels on the benchmark, this under 1 s
(bench/reliability.py); as CTEs, PostgreSQL misestimated the joins and spent 0.8 s per statement
in JIT compilation. The SQL is the same on PostgreSQL and SQLite except for the few functions in DIALECTS.
"""

import datetime
import re

from django.db import connection, connections
from django.utils import timezone

from core.db_router import read_alias
from devices.choices import DeviceStatus
from devices.models import Device, DowntimePeriod, Hospital
from workorders.choices import WorkOrderStatus, WorkType
from workorders.models import WorkOrder

DECIMALS = 2
CHUNK = 2000

# The figures of every row, in the order the JSON rows and the CSV columns show them.
FIGURES = ["observed_hours", "downtime_hours", "operating_hours", "uptime_percent", "failures", "mtbf_hours",
           "repairs", "repair_hours", "mttr_hours"]

# hours(end, start) as a float; GREATEST/LEAST of scalars; a float rounded to DECIMALS.
DIALECTS = {
    "postgresql": {
        "hours": "(CAST(EXTRACT(EPOCH FROM ({0} - {1})) AS double precision) / 3600.0)",
        "greatest": "GREATEST", "least": "LEAST",
        "round": f"CAST(ROUND(CAST({{0}} AS numeric), {DECIMALS}) AS double precision)",
    },
    "sqlite": {  # datetimes are ISO texts: MAX/MIN of several arguments compare them, julianday() reads them
        "hours": "((julianday({0}) - julianday({1})) * 24.0)",
        "greatest": "MAX", "least": "MIN",
        "round": f"ROUND({{0}}, {DECIMALS})",
    },
}


def _sql(vendor):
    d = DIALECTS[vendor]
    hours, gt, lt = d["hours"].format, d["greatest"], d["least"]
    device, period, order, hospital = (Device._meta.db_table, DowntimePeriod._meta.db_table,
                                       WorkOrder._meta.db_table, Hospital._meta.db_table)
    # A downtime period's hours inside the device's observed window (an open one runs until now).
    overlap_hours = hours(f"{lt}(COALESCE(p.ended_at, %(now)s), %(stop)s)",
                          f"{gt}(p.started_at, pd.created_at, %(start)s)")
    overlap = f"{gt}({overlap_hours}, 0.0)"
    figures = f"""
WITH figures AS (
    SELECT d.id, d.asset_number, d.name, d.model, d.hospital_id, h.name AS hospital_name,
           {gt}({hours("%(stop)s", f"{gt}(d.created_at, %(start)s)")}, 0.0)
               - COALESCE(downtime.retired, 0.0) AS observed,
           COALESCE(downtime.hours, 0.0) AS downtime,
           COALESCE(failures.n, 0) AS failure_count,
           COALESCE(repairs.n, 0) AS repair_count,
           COALESCE(repairs.hours, 0.0) AS repair_total
    FROM {device} d
    JOIN {hospital} h ON h.id = d.hospital_id
    LEFT JOIN (
        SELECT p.device_id,
               SUM(CASE WHEN p.status = %(decommissioned)s THEN 0.0 ELSE {overlap} END) AS hours,
               SUM(CASE WHEN p.status = %(decommissioned)s THEN {overlap} ELSE 0.0 END) AS retired
        FROM {period} p JOIN {device} pd ON pd.id = p.device_id
        WHERE p.started_at < %(stop)s AND (p.ended_at IS NULL OR p.ended_at > %(start)s)
        GROUP BY p.device_id
    ) downtime ON downtime.device_id = d.id
    LEFT JOIN (
        SELECT w.device_id, COUNT(*) AS n
        FROM {order} w
        WHERE w.work_type = %(corrective)s AND w.created_at >= %(start)s AND w.created_at < %(end)s
        GROUP BY w.device_id
    ) failures ON failures.device_id = d.id
    LEFT JOIN (
        SELECT w.device_id, COUNT(*) AS n,
               SUM({gt}({hours(f"{lt}(w.completed_at, %(end)s)", f"{gt}(w.created_at, %(start)s)")}, 0.0)) AS hours
        FROM {order} w
        WHERE w.work_type = %(corrective)s AND w.status = %(closed)s AND w.completed_at IS NOT NULL
          AND w.created_at < %(end)s AND (w.completed_at > %(start)s OR w.created_at >= %(start)s)
        GROUP BY w.device_id
    ) repairs ON repairs.device_id = d.id
    WHERE d.created_at < %(stop)s {{filters}}
)"""  # noqa: S608 - table names and fragments are ours; every value is a parameter

    def ratios(observed, downtime, failures, repairs, repair_hours):
        rnd = d["round"].format
        operating = f"({observed} - {downtime})"
        return ",\n       ".join([
            f"{rnd(observed)} AS observed_hours",
            f"{rnd(downtime)} AS downtime_hours",
            f"{rnd(operating)} AS operating_hours",
            f"{rnd(f'{operating} * 100.0 / NULLIF({observed}, 0.0)')} AS uptime_percent",
            f"CAST({failures} AS integer) AS failures",  # PostgreSQL's SUM of counts is numeric
            f"{rnd(f'{operating} / NULLIF({failures}, 0)')} AS mtbf_hours",
            f"CAST({repairs} AS integer) AS repairs",
            f"{rnd(repair_hours)} AS repair_hours",
            f"{rnd(f'{repair_hours} / NULLIF({repairs}, 0)')} AS mttr_hours",
        ])

    sums = ratios("SUM(observed)", "SUM(downtime)", "SUM(failure_count)", "SUM(repair_count)", "SUM(repair_total)")
    return {
        "devices": f"""{figures}
SELECT id, asset_number, name, model, hospital_id AS hospital, hospital_name,
       {ratios("observed", "downtime", "failure_count", "repair_count", "repair_total")}
FROM figures ORDER BY asset_number""",  # noqa: S608
        "models": f"""{figures}
SELECT model, CAST(COUNT(*) AS integer) AS devices,
       {sums}
FROM figures GROUP BY model ORDER BY model""",  # noqa: S608
        "hospitals": f"""{figures}
SELECT hospital_id AS hospital, hospital_name, CAST(COUNT(*) AS integer) AS devices,
       {sums}
FROM figures GROUP BY hospital_id, hospital_name ORDER BY hospital_name, hospital_id""",  # noqa: S608
    }


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class Level:
    """One level's rows: iterating runs its one query and yields dicts, read in chunks (a
    server-side cursor on PostgreSQL: the CSV streams in constant memory)."""

    def __init__(self, sql, params):
        names = _PLACEHOLDER.findall(sql)
        self.sql = _PLACEHOLDER.sub("%s", sql)
        self.params = [params[name] for name in names]
        self.alias = read_alias()  # chosen now (the replica inside its context): the CSV streams later

    def __iter__(self):
        db = connections[self.alias]
        # chunked_cursor() opens a server-side cursor even where DISABLE_SERVER_SIDE_CURSORS is set (a
        # transaction pooler, config/database.py), which QuerySet.iterator() respects: so must this.
        with (db.cursor() if db.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS") else db.chunked_cursor()) as cursor:
            cursor.execute(self.sql, self.params)
            columns = [column[0] for column in cursor.description]
            while rows := cursor.fetchmany(CHUNK):
                yield from (dict(zip(columns, row, strict=True)) for row in rows)


def reliability_report(*, start, end, hospital=None, model=None, now=None):
    """The report for [start, end): hours_in_range and the three levels (devices by asset number,
    models by model, hospitals by name), each run when iterated, in one query."""
    # In UTC: Python subtracts two datetimes of one zone as wall-clock times (a 23-hour day would be 24).
    start, end = start.astimezone(datetime.UTC), end.astimezone(datetime.UTC)
    now = now or timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    filters, params = "", {}
    if hospital is not None:
        filters += " AND d.hospital_id = %(hospital)s"
        params["hospital"] = getattr(hospital, "pk", hospital)
    if model is not None:
        filters += " AND d.model = %(model)s"
        params["model"] = model
    params.update(start=adapt(start), end=adapt(end), stop=adapt(min(end, now)), now=adapt(now),
                  corrective=WorkType.CORRECTIVE.value, closed=WorkOrderStatus.CLOSED.value,
                  decommissioned=DeviceStatus.DECOMMISSIONED.value)
    statements = _sql(connection.vendor)
    return {
        "hours_in_range": round((end - start).total_seconds() / 3600, DECIMALS),
        **{level: Level(sql.replace("{filters}", filters), params) for level, sql in statements.items()},
    }
