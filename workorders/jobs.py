"""The work-order periodic job (core.jobs shape): one email a day per overdue work order to its
assignee. Task in workorders/tasks.py, command `manage.py email_overdue_work_orders`;
docs/jobs-appointments.md."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.changes import Change, record_bulk
from audit.choices import AuditAction
from notifications.services import notify
from workorders.models import WorkOrder, overdue_q

OVERDUE_KIND = "workorder.overdue"


def overdue_notice_text(work_order, today):
    days = (today - work_order.due_date).days
    title = f"Work order {work_order.work_number} is overdue"
    body = (f"Work order {work_order.work_number} ({work_order.get_work_type_display().lower()}, priority "
            f"{work_order.priority}) for {work_order.device} was due on {work_order.due_date:%Y-%m-%d}: "
            f"{days} day{'s' if days != 1 else ''} overdue, status {work_order.status.replace('_', ' ')}.\n"
            "Please update or close it in MediTrack.\n")
    return title, body


def email_overdue_work_orders(*, today=None, limit=None):
    """One pass: each overdue work order (workorders.models.overdue_q: past its due date, not closed)
    with an active assignee who has not been told today gets one notice: an in-app notification and
    its email (notifications.notify, one email). `overdue_notice_on` (the day of the last notice) is
    claimed by a conditional UPDATE in the same transaction, so two passes on one day send one, and
    the next day sends again. Unassigned ones are skipped (counted, `unassigned`). Bounded by `limit`
    (OVERDUE_NOTICES_MAX_PER_RUN, 1000), the longest overdue first. Without an explicit `today`, a
    pass before OVERDUE_NOTICES_FROM_HOUR (7, local time) sends nothing (`waiting`): the first
    hourly pass from 07:00 sends the day's notices."""
    limit = limit or getattr(settings, "OVERDUE_NOTICES_MAX_PER_RUN", 1000)
    report = {"waiting": False, "unassigned": 0, "inactive_assignee": 0, "candidates": 0, "notified": 0,
              "already_notified": 0}
    if today is None:
        now = timezone.localtime()
        if now.hour < getattr(settings, "OVERDUE_NOTICES_FROM_HOUR", 7):
            # The pass runs hourly; the day's notices wait for the working day (07:00 local), not midnight.
            report["waiting"] = True
            return report
        today = now.date()
    due_today = WorkOrder.objects.filter(overdue_q(today)).exclude(overdue_notice_on=today)
    report["unassigned"] = due_today.filter(assigned_to__isnull=True).count()
    report["inactive_assignee"] = due_today.filter(assigned_to__is_active=False).count()
    candidates = list(due_today.filter(assigned_to__is_active=True)
                      .select_related("assigned_to", "device").order_by("due_date", "id")[:limit])
    report["candidates"] = len(candidates)
    for work_order in candidates:
        with transaction.atomic():
            claimed = (WorkOrder.objects.filter(overdue_q(today), pk=work_order.pk,
                                                assigned_to_id=work_order.assigned_to_id)
                       .exclude(overdue_notice_on=today).update(overdue_notice_on=today))
            if not claimed:  # another pass told them today, or it closed meanwhile
                report["already_notified"] += 1
                continue
            record_bulk(WorkOrder, AuditAction.UPDATE, [
                Change(work_order.pk, {"overdue_notice_on": (work_order.overdue_notice_on, today)})])
            title, body = overdue_notice_text(work_order, today)
            notify(users=[work_order.assigned_to], kind=OVERDUE_KIND, title=title, body=body,
                   data={"work_order": work_order.pk, "work_number": work_order.work_number,
                         "due_date": work_order.due_date.isoformat(), "status": work_order.status})
            report["notified"] += 1
    return report
