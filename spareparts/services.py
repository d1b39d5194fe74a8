"""Every spare-part request write that has a rule: numbering, the work order matching the device,
edits only while pending, and the one decision (approve or reject) an admin makes."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from core.db import constraint_errors
from core.errors import Conflict
from core.models import Counter
from spareparts import errors
from spareparts.choices import STATUS_TRANSITIONS, SparePartStatus
from spareparts.models import SparePartRequest


def next_request_number(now=None):
    return Counter.next_monthly_number("SPR", now)


def _locked(spare_request):
    return SparePartRequest.objects.select_for_update().get(pk=spare_request.pk)


def _check_work_order(*, device, work_order):
    if work_order is not None and work_order.device_id != device.id:
        raise ValidationError({"work_order": [_("Work order %(number)s is not for this device.") % {
            "number": work_order.work_number}]})


def _check_pending(spare_request):
    if spare_request.status != SparePartStatus.PENDING:
        raise Conflict(_("Request %(number)s is already %(status)s.") % {
            "number": spare_request.request_number, "status": spare_request.status},
                       code=errors.SPARE_PART_NOT_PENDING)


def spare_part_create(*, by, device, part_name, quantity, description="", work_order=None):
    _check_work_order(device=device, work_order=work_order)
    with constraint_errors():  # a taken request number: 409 request_number_taken (spareparts.models)
        return SparePartRequest.objects.create(
            request_number=next_request_number(), part_name=part_name, description=description,
            quantity=quantity, device=device, work_order=work_order, requested_by=by,
        )


@transaction.atomic
def spare_part_update(*, spare_request, by, **changes):
    spare_request = _locked(spare_request)
    _check_pending(spare_request)
    _check_work_order(device=changes.get("device", spare_request.device),
                      work_order=changes.get("work_order", spare_request.work_order))
    for name, value in changes.items():
        setattr(spare_request, name, value)
    spare_request.save()
    return spare_request


def _decide(*, spare_request, by, status, note):
    spare_request = _locked(spare_request)
    if status not in STATUS_TRANSITIONS[spare_request.status]:
        raise Conflict(_("Request %(number)s is already %(status)s; only a pending request is decided.") % {
            "number": spare_request.request_number, "status": spare_request.status}, code=errors.SPARE_PART_NOT_PENDING)
    spare_request.status = status
    spare_request.decided_by = by
    spare_request.decided_at = timezone.now()
    spare_request.decision_note = note
    spare_request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return spare_request


@transaction.atomic
def spare_part_approve(*, spare_request, by, note=""):
    return _decide(spare_request=spare_request, by=by, status=SparePartStatus.APPROVED, note=note)


@transaction.atomic
def spare_part_reject(*, spare_request, by, note=""):
    return _decide(spare_request=spare_request, by=by, status=SparePartStatus.REJECTED, note=note)


@transaction.atomic
def spare_part_delete(*, spare_request, by):
    spare_request.delete()
