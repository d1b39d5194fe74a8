"""The reliability report: uptime, downtime, failures, MTBF and MTTR per device, per model and per
hospital over a time range, computed in the database (docs/reliability.md has every formula with a
worked example).

The range is [start, end) (aware datetimes). Every figure is clipped to it:

- a device is observed from max(start, its created_at) until min(end, now): observed hours;
- a downtime period counts for its overlap with that window (an open one ends now);
- a failure is a corrective work order reported (created_at) in [start, end);
- a repair is a closed corrective work order (completed_at set) whose interval
  [created_at, completed_at] reaches into the range; it counts for its part inside [start, end).

One query per level: the device rows carry their figures as correlated subqueries (downtime,
failures, repairs); a roll-up groups the same per-device expressions by model or hospital and sums
them, then recomputes the ratios from the sums (never an average of averages).
"""

from django.db.models import (
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, NullIf, Round
from django.utils import timezone

from devices.models import Device, DowntimePeriod
from workorders.choices import WorkOrderStatus, WorkType
from workorders.models import WorkOrder

DECIMALS = 2
ZERO = Value(0.0, output_field=FloatField())

# The figures of every row, in the order the JSON rows and the CSV columns show them.
FIGURES = ["observed_hours", "downtime_hours", "operating_hours", "uptime_percent", "failures", "mtbf_hours",
           "repairs", "repair_hours", "mttr_hours"]
DEVICE_FIELDS = ["id", "asset_number", "name", "model", "hospital", "hospital_name"]
MODEL_FIELDS = ["model", "devices"]
HOSPITAL_FIELDS = ["hospital", "hospital_name", "devices"]


class Hours(Func):
    """Hours from `start` to `end` as a float, in the database (PostgreSQL or SQLite)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # PostgreSQL: timestamptz - timestamptz
        return super().as_sql(compiler, connection, arg_joiner=" - ",
                              template="(CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 3600.0)",
                              **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):  # Julian days, to the millisecond
        return super().as_sql(compiler, connection, arg_joiner=") - julianday(",
                              template="((julianday(%(expressions)s)) * 24.0)", **extra_context)


def _sum_of(queryset, expression):
    """A correlated scalar subquery: SUM(expression) over `queryset` (already filtered on the outer
    device), 0 when it has no rows."""
    total = queryset.order_by().values("device").annotate(total=Sum(expression)).values("total")
    return Coalesce(Subquery(total, output_field=FloatField()), ZERO)


def _count_of(queryset):
    count = queryset.order_by().values("device").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


def device_expressions(*, start, end, now):
    """{name: expression} of a Device row's raw figures (unrounded hours, counts)."""
    stop = Value(min(end, now))  # nothing is observed after now
    window_start = Greatest(F("created_at"), Value(start))  # a device counts from its creation
    periods = DowntimePeriod.objects.filter(device=OuterRef("pk"), started_at__lt=stop).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=Value(start)))
    period_hours = Greatest(
        Hours(Least(Coalesce(F("ended_at"), Value(now)), stop),
              Greatest(F("started_at"), OuterRef("created_at"), Value(start))),
        ZERO,
    )
    corrective = WorkOrder.objects.filter(device=OuterRef("pk"), work_type=WorkType.CORRECTIVE)
    failures = corrective.filter(created_at__gte=start, created_at__lt=end)
    # Closed repairs reaching into the range: reported before its end, and finished after its start
    # (or reported inside it: a zero-length repair at the start instant still counts once).
    repairs = corrective.filter(status=WorkOrderStatus.CLOSED, completed_at__isnull=False, created_at__lt=end).filter(
        Q(completed_at__gt=start) | Q(created_at__gte=start))
    repair_hours = Greatest(Hours(Least(F("completed_at"), Value(end)), Greatest(F("created_at"), Value(start))),
                            ZERO)
    return {
        "observed": Greatest(Hours(stop, window_start), ZERO),
        "downtime": _sum_of(periods, period_hours),
        "failure_count": _count_of(failures),
        "repair_count": _count_of(repairs),
        "repair_total": _sum_of(repairs, repair_hours),
    }


def _rounded(expression):
    return Cast(Round(expression, DECIMALS), FloatField())


def _ratios(observed, downtime, failures, repairs, repair_hours):
    """The published figures from the raw sums (field references or expressions)."""
    operating = observed - downtime
    return {
        "observed_hours": _rounded(observed),
        "downtime_hours": _rounded(downtime),
        "operating_hours": _rounded(operating),
        "uptime_percent": _rounded(operating * Value(100.0) / NullIf(observed, ZERO)),
        "failures": failures,
        "mtbf_hours": _rounded(operating / NullIf(Cast(failures, FloatField()), ZERO)),
        "repairs": repairs,
        "repair_hours": _rounded(repair_hours),
        "mttr_hours": _rounded(repair_hours / NullIf(Cast(repairs, FloatField()), ZERO)),
    }


def _devices_in_scope(*, end, now, hospital=None, model=None):
    devices = Device.objects.filter(created_at__lt=min(end, now))
    if hospital is not None:
        devices = devices.filter(hospital=hospital)
    if model is not None:
        devices = devices.filter(model=model)
    return devices


def device_rows(devices, *, start, end, now):
    raw = device_expressions(start=start, end=end, now=now)
    figures = _ratios(F("observed"), F("downtime"), F("failure_count"), F("repair_count"), F("repair_total"))
    return (devices.annotate(**raw).annotate(**figures)
            .values(*DEVICE_FIELDS[:-1], *FIGURES, hospital_name=F("hospital__name")).order_by("asset_number"))


def rollup_rows(devices, fields, *, order_by, start, end, now, **named):
    """One row per value of `fields` (and `named` expressions): the sums of its devices' figures."""
    raw = device_expressions(start=start, end=end, now=now)
    sums = {f"{name}_sum": Sum(expression) for name, expression in raw.items()}
    figures = _ratios(F("observed_sum"), F("downtime_sum"), F("failure_count_sum"), F("repair_count_sum"),
                      F("repair_total_sum"))
    return (devices.order_by().values(*fields, **named).annotate(devices=Count("pk"), **sums).annotate(**figures)
            .values(*fields, *named, "devices", *FIGURES).order_by(*order_by))


def reliability_report(*, start, end, hospital=None, model=None, now=None):
    """The report for [start, end): hours_in_range and three lazy querysets of dict rows (one query
    each when evaluated): devices (by asset number), models (by model), hospitals (by name)."""
    now = now or timezone.now()
    devices = _devices_in_scope(end=end, now=now, hospital=hospital, model=model)
    window = {"start": start, "end": end, "now": now}
    return {
        "hours_in_range": round((end - start).total_seconds() / 3600, DECIMALS),
        "devices": device_rows(devices, **window),
        "models": rollup_rows(devices, ["model"], order_by=["model"], **window),
        "hospitals": rollup_rows(devices, ["hospital"], order_by=["hospital_name", "hospital"], **window,
                                 hospital_name=F("hospital__name")),
    }
