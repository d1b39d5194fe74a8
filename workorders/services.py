"""Every work-order write that has a rule: numbering, due dates, assignment, the status flow
open -> in_progress -> closed (closed is final), checklist results and the corrective work order a
failed checklist step opens."""

from datetime import timedelta

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from accounts.choices import Role
from core.db import constraint_errors
from core.errors import Conflict
from core.events import publish
from core.models import Counter
from devices.choices import DeviceStatus
from workorders import checklists, errors
from workorders.choices import DUE_DAYS_BY_PRIORITY, STATUS_TRANSITIONS, Priority, WorkOrderStatus, WorkType
from workorders.models import WorkOrder


def next_work_number(now=None):
    return Counter.next_monthly_number("WO", now)


def _locked(work_order):
    return WorkOrder.objects.select_for_update().get(pk=work_order.pk)


def _check_not_closed(work_order):
    if work_order.status == WorkOrderStatus.CLOSED:
        raise Conflict(_("Work order %(number)s is closed; a closed work order is final.") % {
            "number": work_order.work_number},
                       code=errors.WORK_ORDER_CLOSED)


def _check_transition(work_order, to_status):
    _check_not_closed(work_order)
    if to_status not in STATUS_TRANSITIONS[work_order.status]:
        raise Conflict(_("A work order cannot go from %(status)s to %(target)s "
                         "(open -> in_progress -> closed).") % {"status": work_order.status, "target": to_status},
                       code=errors.INVALID_TRANSITION)


def _check_engineer(user, field="assigned_to"):
    if user is not None and (user.role != Role.ENGINEER or not user.is_active):
        raise ValidationError({field: [_("User %(id)s is not an active engineer.") % {"id": user.pk}]})


@transaction.atomic
def workorder_create(*, by, device, description, work_type, priority, due_date=None, photo=None,
                     follow_up_of=None):
    """Report a fault or plan maintenance. The reporter is `by`; the device's engineer is assigned.
    A corrective work order is linked to the device's open downtime period that has none yet (the
    device went out of service before anyone reported why)."""
    if device.status == DeviceStatus.DECOMMISSIONED:
        raise Conflict(_("The device is decommissioned; it takes no more work orders."),
                       code=errors.DEVICE_DECOMMISSIONED)
    today = timezone.localdate()
    if due_date is None:
        due_date = today + timedelta(days=DUE_DAYS_BY_PRIORITY[priority])
    elif due_date < today:
        raise ValidationError({"due_date": [_("The due date cannot be in the past.")]})
    with constraint_errors():  # a taken work number: 409 work_number_taken (workorders.models)
        work_order = WorkOrder(
            work_number=next_work_number(), device=device, description=description, work_type=work_type,
            priority=priority, due_date=due_date, created_by=by, assigned_to=device.assigned_engineer,
            follow_up_of=follow_up_of,
        )
        if photo is not None:
            work_order.photo = photo
        work_order.save()
    if work_type == WorkType.CORRECTIVE:
        device.downtime_periods.filter(ended_at__isnull=True, work_order__isnull=True).update(work_order=work_order)
    announce_created(work_order)
    return work_order


def announce_created(work_order):
    """`workorder.created` (after commit) with ids and states (docs/events.md); also for the work
    orders the PM generator creates in bulk."""
    publish("workorder.created", {
        "id": work_order.pk, "work_number": work_order.work_number, "device": work_order.device_id,
        "status": work_order.status, "priority": work_order.priority, "work_type": work_order.work_type,
    }, instance=work_order)


def _publish_status_changed(work_order, previous_status):
    publish("workorder.status_changed", {"id": work_order.pk, "work_number": work_order.work_number,
                                         "status": work_order.status, "previous_status": previous_status},
            instance=work_order)


@transaction.atomic
def workorder_start(*, work_order, by):
    work_order = _locked(work_order)
    _check_transition(work_order, WorkOrderStatus.IN_PROGRESS)
    previous_status = work_order.status
    work_order.status = WorkOrderStatus.IN_PROGRESS
    work_order.save(update_fields=["status"])
    _publish_status_changed(work_order, previous_status)
    return work_order


@transaction.atomic
def workorder_close(*, work_order, by, technical_action=None):
    """Close with the technical action taken (given here, or already recorded) and, when the work order
    has a checklist, a result for every step; stamps completed_at and completed_date. A failed step
    opens one corrective work order (`_open_follow_up`) in the same transaction: if it cannot be
    created, the work order stays open."""
    work_order = _locked(work_order)
    _check_transition(work_order, WorkOrderStatus.CLOSED)
    action = work_order.technical_action if technical_action is None else technical_action
    refusals = {}
    if not action.strip():
        refusals["technical_action"] = [_("Closing a work order requires the technical action taken.")]
    missing = checklists.missing_steps(work_order.checklist, work_order.checklist_results)
    if missing:
        refusals[checklists.FIELD] = [
            _("Closing needs a result for every checklist step; missing: %(steps)s.") % {"steps": "; ".join(missing)}]
    if refusals:
        raise ValidationError(refusals)
    work_order.technical_action = action
    previous_status = work_order.status
    work_order.status = WorkOrderStatus.CLOSED
    work_order.completed_at = timezone.now()
    work_order.completed_date = timezone.localdate(work_order.completed_at)
    work_order.save(update_fields=["technical_action", "status", "completed_at", "completed_date"])
    _publish_status_changed(work_order, previous_status)
    failed = checklists.failed_steps(work_order.checklist_results)
    if failed:
        _open_follow_up(work_order, by=by, failed=failed)
    return work_order


def _open_follow_up(work_order, *, by, failed):
    """The ONE corrective work order for the failed steps of a closing work order: high priority, same
    device and its engineer, reported by whoever closed it. Closing is final and locked, so it runs
    once; the OneToOne `follow_up_of` is the database's backstop."""
    return workorder_create(
        by=by, device=work_order.device, work_type=WorkType.CORRECTIVE, priority=Priority.HIGH,
        description=checklists.follow_up_description(work_order.work_number, failed), follow_up_of=work_order,
    )


_TRANSITION_SERVICES = {WorkOrderStatus.IN_PROGRESS: workorder_start, WorkOrderStatus.CLOSED: workorder_close}


@transaction.atomic
def workorder_update(*, work_order, by, **changes):
    """Admin (any field) and assigned engineer (status, technical_action, checklist_results): the
    serializer decides which fields arrive. Checklist results replace the stored ones (checked against
    the work order's checklist). A status change runs its transition; any refusal rolls everything back."""
    work_order = _locked(work_order)
    _check_not_closed(work_order)
    new_status = changes.pop("status", None)
    if checklists.FIELD in changes:
        changes[checklists.FIELD] = checklists.clean_results(work_order.checklist, changes[checklists.FIELD])
    if "assigned_to" in changes:
        _check_engineer(changes["assigned_to"])
    for name, value in changes.items():
        setattr(work_order, name, value)
    work_order.save()
    if new_status is not None and new_status != work_order.status:
        transition = _TRANSITION_SERVICES.get(new_status)
        if transition is None:
            raise Conflict(_("A work order cannot go back to %(status)s.") % {"status": new_status},
                           code=errors.INVALID_TRANSITION)
        work_order = transition(work_order=work_order, by=by)
    return work_order


@transaction.atomic
def workorder_update_description(*, work_order, by, description=None):
    """The reporting nurse may correct the description while the work order is still open."""
    work_order = _locked(work_order)
    if work_order.status != WorkOrderStatus.OPEN:
        raise Conflict(_("Only an open work order's description can be edited by its reporter."),
                       code=errors.WORK_ORDER_NOT_OPEN)
    if description is not None:
        work_order.description = description
        work_order.save(update_fields=["description"])
    return work_order


def workorder_delete(*, work_order, by):
    """Delete a work order without spare-part requests; its photo file goes once the delete is committed
    (Django never deletes files with their rows, and a rolled-back delete must keep the photo)."""
    photo = work_order.photo
    try:
        with transaction.atomic():
            work_order.delete()
            if photo:
                transaction.on_commit(lambda: photo.storage.delete(photo.name))
    except ProtectedError as exc:
        raise Conflict(_("The work order has spare-part requests and cannot be deleted."),
                       code=errors.WORK_ORDER_IN_USE) from exc
