"""PM schedules: their writes (the API and Django admin share these rules) and the generator that
turns due occurrences into PM work orders, exactly once each.

The guarantee is the database's: `workorders_one_per_pm_occurrence` makes (pm_schedule,
pm_due_date) unique, so however often and however concurrently the generator runs, an occurrence
becomes at most one work order. The locks below only keep concurrent runs from doing the same work
twice; the unique key is what makes a duplicate impossible.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from audit.changes import Change, record_bulk, record_created
from audit.choices import AuditAction
from core.models import Counter
from devices.choices import DeviceStatus
from maintenance.checklists import clean_checklist
from maintenance.choices import INTERVAL_MAX, INTERVAL_MIN, LEAD_DAYS_MAX, LEAD_DAYS_MIN, BasedOn, Frequency
from maintenance.models import (
    GENERATING,
    INTERVAL_MESSAGE,
    LEAD_DAYS_MESSAGE,
    NOT_GENERATING,
    PMSchedule,
    next_due_date_error,
)
from maintenance.recurrence import advance
from workorders.choices import Priority, WorkOrderStatus, WorkType
from workorders.models import WorkOrder
from workorders.services import announce_created

TITLE_MAX_LENGTH = PMSchedule._meta.get_field("title").max_length
DEFAULT_MAX_OCCURRENCES_PER_RUN = 10
DEFAULT_MAX_SCHEDULES_PER_RUN = 10_000
# Rows per statement: SQLite binds at most 999 parameters; PostgreSQL takes thousands of rows at once.
INSERT_BATCH = 5000  # work orders per INSERT (Django lowers it to SQLite's bound)
RECOUNT_CHUNK = {"postgresql": 5000, "sqlite": 500}  # work numbers per re-count
UPDATE_CHUNK = {"postgresql": 5000, "sqlite": 400}  # schedules per UPDATE (two parameters each)
# What the re-count loads of each inserted work order: its live event's fields.
ANNOUNCED_FIELDS = ("work_number", "device", "status", "priority", "work_type", "pm_schedule")


# -- writes ---------------------------------------------------------------------------------------
def _refuse(field, message):
    raise ValidationError({field: [message]})


def _check_device(device):
    if device.status == DeviceStatus.DECOMMISSIONED:
        _refuse("device", f"Device {device.asset_number} is decommissioned; it takes no PM schedule.")


def _clean(fields):
    """The schedule's fields checked and normalised (the API's serializer already checked their
    types; Django admin's form only the model's): a 400 naming the field."""
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()
        if not fields["title"]:
            _refuse("title", "Give the schedule a title.")
        if len(fields["title"]) > TITLE_MAX_LENGTH:
            _refuse("title", f"A title has at most {TITLE_MAX_LENGTH} characters.")
    if "checklist" in fields:
        fields["checklist"] = clean_checklist(fields["checklist"])
    if "frequency" in fields and fields["frequency"] not in Frequency.values:
        _refuse("frequency", f"Choose one of {', '.join(Frequency.values)}.")
    if "based_on" in fields and fields["based_on"] not in BasedOn.values:
        _refuse("based_on", f"Choose one of {', '.join(BasedOn.values)}.")
    if "interval" in fields and not INTERVAL_MIN <= fields["interval"] <= INTERVAL_MAX:
        _refuse("interval", INTERVAL_MESSAGE)
    if "lead_days" in fields and not LEAD_DAYS_MIN <= fields["lead_days"] <= LEAD_DAYS_MAX:
        _refuse("lead_days", LEAD_DAYS_MESSAGE)
    if fields.get("next_due_date") is not None and next_due_date_error(fields["next_due_date"]):
        _refuse("next_due_date", next_due_date_error(fields["next_due_date"]))
    return fields


def pm_schedule_create(*, by, device, title, checklist, frequency, next_due_date, interval=1,
                       based_on=BasedOn.SCHEDULED_DATE, lead_days=0, active=True):
    """A new schedule on a device in service; its first occurrence is due on `next_due_date`
    (today or later)."""
    fields = _clean({"title": title, "checklist": checklist, "frequency": frequency, "interval": interval,
                     "based_on": based_on, "lead_days": lead_days, "next_due_date": next_due_date})
    fields.pop("next_due_date")
    _check_device(device)
    if next_due_date is None:
        _refuse("next_due_date", "Give the date the first occurrence is due.")
    if next_due_date < timezone.localdate():
        _refuse("next_due_date", "The first due date cannot be in the past.")
    return PMSchedule.objects.create(device=device, next_due_date=next_due_date, active=active, **fields)


@transaction.atomic
def pm_schedule_update(*, schedule, by, **changes):
    """Change any field. Moving the schedule to another device needs that device in service;
    `next_due_date` may be set back (the generator then catches up, a bounded number per run)."""
    schedule = PMSchedule.objects.select_for_update().get(pk=schedule.pk)
    changes = _clean(changes)
    device = changes.get("device")
    if device is not None and device.pk != schedule.device_id:
        _check_device(device)
    if "next_due_date" in changes and changes["next_due_date"] is None:
        _refuse("next_due_date", "A schedule needs a next due date.")
    for name, value in changes.items():
        setattr(schedule, name, value)
    schedule.save()
    return schedule


def pm_schedule_delete(*, schedule, by):
    """Delete the schedule; its work orders stay (their `pm_schedule` becomes null)."""
    with transaction.atomic():
        schedule.delete()


# -- the generator ----------------------------------------------------------------------------------
def _latest_work_order():
    """The schedule's latest generated work order (by occurrence date), for Subquery annotations."""
    return WorkOrder.objects.filter(pm_schedule=OuterRef("pk")).order_by("-pm_due_date", "-id")


# A completed_date schedule waits while its latest work order is not closed.
_IN_FLIGHT = [WorkOrderStatus.OPEN, WorkOrderStatus.IN_PROGRESS]
WAITING = Q(based_on=BasedOn.COMPLETED_DATE, latest_status__in=_IN_FLIGHT)
NOT_WAITING = Q(based_on=BasedOn.SCHEDULED_DATE) | Q(latest_status__isnull=True) | Q(
    latest_status=WorkOrderStatus.CLOSED)


def _chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _occurrences(schedule, today, cap):
    """(due dates to generate, the schedule's next_due_date afterwards, whether re-armed, whether
    capped) for one locked schedule. Dates only: nothing here touches the database."""
    opens = lambda day: day - timedelta(days=schedule.lead_days) <= today  # noqa: E731
    if schedule.based_on == BasedOn.COMPLETED_DATE:
        rearmed = False
        next_due = schedule.next_due_date
        if schedule.latest_due is not None and next_due <= schedule.latest_due:
            # The occurrence in flight has closed: the next one counts from its completion, and
            # always lies after the previous due date.
            next_due = max(advance(schedule.latest_completed, schedule.frequency, schedule.interval),
                           schedule.latest_due + timedelta(days=1))
            rearmed = True
        # One at a time: next_due_date keeps the date of the occurrence in flight until it closes.
        return ([next_due] if opens(next_due) else []), next_due, rearmed, False
    dates, day = [], schedule.next_due_date
    while opens(day) and len(dates) < cap:
        dates.append(day)
        day = advance(day, schedule.frequency, schedule.interval)
    return dates, day, False, opens(day)


def _store_next_due_dates(schedules, now):
    """Write the schedules' new next_due_date (and updated_at) with one UPDATE ... FROM (VALUES ...)
    per chunk. Django's bulk_update builds a CASE with one branch per row, which costs seconds in
    Python and in the database for thousands of rows (SQLite supports UPDATE ... FROM since 3.33)."""
    table = connection.ops.quote_name(PMSchedule._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for chunk in _chunks(schedules, UPDATE_CHUNK.get(connection.vendor, 400)):
            rows = ", ".join(["(%s, %s)"] * len(chunk))
            params = [value for schedule in chunk
                      for value in (schedule.pk, connection.ops.adapt_datefield_value(schedule.next_due_date))]
            if connection.vendor == "postgresql":
                sql = (f"UPDATE {table} AS s SET next_due_date = v.day::date, updated_at = %s "  # noqa: S608
                       f"FROM (VALUES {rows}) AS v (id, day) WHERE s.id = v.id")
            else:
                sql = (f"UPDATE {table} SET next_due_date = v.column2, updated_at = %s "  # noqa: S608
                       f"FROM (VALUES {rows}) AS v WHERE {table}.id = v.column1")
            cursor.execute(sql, [stamp, *params])


def _pm_work_order(schedule, due, number, now):
    return WorkOrder(
        work_number=number, device_id=schedule.device_id, description=f"{schedule.title} (PM due {due.isoformat()})",
        work_type=WorkType.PREVENTIVE, priority=Priority.MEDIUM, status=WorkOrderStatus.OPEN, created_by=None,
        assigned_to_id=schedule.device_engineer_id, due_date=due, checklist=list(schedule.checklist),
        pm_schedule_id=schedule.pk, pm_due_date=due, created_at=now, updated_at=now,
    )


def generate_pm_workorders(*, today=None, max_per_schedule=None, max_schedules=None, schedule_ids=None):
    """One bounded pass: every due occurrence becomes one PM work order. Returns the report
    {created, schedules, skipped_inactive, waiting_for_completion, capped, rearmed, deferred}.

    Due: active schedules of devices not decommissioned with next_due_date - lead_days <= today.
    At most `max_per_schedule` occurrences per schedule (settings.PM_MAX_OCCURRENCES_PER_RUN, 10)
    and `max_schedules` schedules (settings.PM_MAX_SCHEDULES_PER_RUN, 10000) per run; the rest
    are caught up by later runs. `schedule_ids` limits the pass to those schedules (Django admin).

    A fixed number of statements per run, whatever the number of rows: one count, one locking
    select, one counter update for all the work numbers, bulk inserts, one re-count and one update,
    and one audit INSERT each for the work orders made and the schedules moved (audit.changes)
    (SQLite splits inserts, re-counts and updates into batches under its 999-parameter bound)."""
    today = today or timezone.localdate()
    cap = max_per_schedule or getattr(settings, "PM_MAX_OCCURRENCES_PER_RUN", DEFAULT_MAX_OCCURRENCES_PER_RUN)
    limit = max_schedules or getattr(settings, "PM_MAX_SCHEDULES_PER_RUN", DEFAULT_MAX_SCHEDULES_PER_RUN)
    if cap < 1 or limit < 1:
        raise ValueError("max_per_schedule and max_schedules must be at least 1")
    latest = _latest_work_order()
    with transaction.atomic():  # on SQLite an IMMEDIATE transaction: concurrent runs queue here
        due = PMSchedule.objects.due(today)
        if schedule_ids is not None:
            due = due.filter(pk__in=list(schedule_ids))
        due = due.annotate(latest_status=Subquery(latest.values("status")[:1]))
        counts = due.aggregate(
            skipped_inactive=Count("pk", filter=NOT_GENERATING),
            waiting=Count("pk", filter=GENERATING & WAITING),
            eligible=Count("pk", filter=GENERATING & NOT_WAITING),
        )
        # Lock what this run handles; rows another run holds are skipped (it is handling them).
        schedules = list(
            due.filter(GENERATING & NOT_WAITING)
            .annotate(latest_due=Subquery(latest.values("pm_due_date")[:1]),
                      latest_completed=Subquery(latest.values("completed_date")[:1]),
                      device_engineer_id=F("device__assigned_engineer"))
            .order_by("next_due_date", "id")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        planned, changed, rearmed, capped = [], [], 0, 0
        for schedule in schedules:
            dates, next_due, was_rearmed, was_capped = _occurrences(schedule, today, cap)
            planned += [(schedule, day) for day in dates]
            rearmed += was_rearmed
            capped += was_capped
            if next_due != schedule.next_due_date:
                changed.append((schedule, schedule.next_due_date))
                schedule.next_due_date = next_due
        inserted = []
        now = timezone.now()
        if planned:
            numbers = Counter.next_monthly_numbers("WO", len(planned))
            rows = [_pm_work_order(schedule, day, number, now)
                    for (schedule, day), number in zip(planned, numbers, strict=True)]
            WorkOrder.objects.bulk_create(
                rows, batch_size=INSERT_BATCH,
                ignore_conflicts=True,  # an occurrence that already has its work order stays as it is
            )
            # What was really inserted: our reserved numbers that exist now (a skipped row's number
            # is left unused).
            for chunk in _chunks(numbers, RECOUNT_CHUNK.get(connection.vendor, 500)):
                inserted += WorkOrder.objects.filter(work_number__in=chunk).only(*ANNOUNCED_FIELDS)
            for work_order in inserted:  # each announced once the run commits, as a single create is
                announce_created(work_order)
            # Their create entries (one INSERT): the rows as built, with the ids they got.
            built = {row.work_number: row for row in rows}
            for work_order in inserted:
                built[work_order.work_number].pk = work_order.pk
            record_created(built[work_order.work_number] for work_order in inserted)
        if changed:
            _store_next_due_dates([schedule for schedule, _old in changed], now)
            record_bulk(PMSchedule, AuditAction.UPDATE, [
                Change(schedule.pk, {"next_due_date": (old, schedule.next_due_date)}) for schedule, old in changed])
    return {
        "created": len(inserted),
        "schedules": len({work_order.pm_schedule_id for work_order in inserted}),
        "skipped_inactive": counts["skipped_inactive"],
        "waiting_for_completion": counts["waiting"],
        "capped": capped,
        "rearmed": rearmed,
        "deferred": max(0, counts["eligible"] - limit),
    }
