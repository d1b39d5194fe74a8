"""Every device write that has a rule: placement, assignment of people, status transitions (and the
downtime periods they open and close), calibration dates, inventory checks, monitor assignment and
deletion.

`device_set_status` is the one function that changes a device's status: the API's PATCH
(`device_update`), `change-status` (`device_change_status`), the Django admin actions and the
periodic jobs all call it, so every change opens or closes the device's downtime period the same
way (devices/downtime.py holds the periods' rules, and `downtime_open` / `downtime_close` for a
device that stays `active` but stops working: a monitor gone silent)."""

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from accounts.choices import Role
from core.db import constraint_errors
from core.errors import Conflict, DomainError
from devices import downtime, errors
from devices.choices import (
    ADMIN_STATUS_TRANSITIONS,
    ENGINEER_STATUS_TRANSITIONS,
    DeviceCategory,
    DeviceStatus,
    toggled_status,
)
from devices.dates import date_errors
from devices.models import Device, InventoryCheck, Room

_TRANSITIONS_BY_ROLE = {Role.ADMIN: ADMIN_STATUS_TRANSITIONS, Role.ENGINEER: ENGINEER_STATUS_TRANSITIONS}


def _locked(device):
    return Device.objects.select_for_update().get(pk=device.pk)


def _check_placement(*, hospital, room):
    if room is not None and room.hospital_id != hospital.id:
        raise ValidationError({"room": [_("Room %(room)s does not belong to %(hospital)s.") % {
            "room": room.number, "hospital": hospital.name}]})


def _check_people(*, engineer, nurses):
    refused = {}
    if engineer is not None and (engineer.role != Role.ENGINEER or not engineer.is_active):
        refused["assigned_engineer"] = [_("User %(id)s is not an active engineer.") % {"id": engineer.pk}]
    not_nurses = sorted(user.pk for user in nurses or () if user.role != Role.NURSE or not user.is_active)
    if not_nurses:
        refused["assigned_nurses"] = [_("These users are not active nurses: %(ids)s.") % {
            "ids": ", ".join(map(str, not_nurses))}]
    if refused:
        raise ValidationError(refused)


def _check_transition(device, to_status, by):
    """The caller's transition table; `by=None` is a system job, which may make any change."""
    if to_status == device.status:
        raise Conflict(_("The device is already %(status)s.") % {"status": device.status},
                       code=errors.INVALID_TRANSITION)
    allowed = ADMIN_STATUS_TRANSITIONS if by is None else _TRANSITIONS_BY_ROLE.get(by.role, {})
    if to_status not in allowed.get(device.status, set()):
        raise Conflict(_("Your role (%(role)s) may not change a %(status)s device to %(target)s.") % {
            "role": by.role, "status": device.status, "target": to_status},
                       code=errors.INVALID_TRANSITION)
    if to_status == DeviceStatus.DECOMMISSIONED and device.patient_id is not None:
        raise Conflict(_("The monitor is assigned to a patient: unassign it before decommissioning it."),
                       code=errors.MONITOR_IN_USE)


DATE_FIELDS = ("last_inventory_date", "warranty_expires", "last_calibration_date", "next_calibration_due")


def _check_dates(fields):
    """Each date given within its sane range (devices.dates): a 400 naming every one out of it."""
    errors = date_errors({name: fields[name] for name in DATE_FIELDS if name in fields})
    if errors:
        raise ValidationError(errors)


def _check_calibration(*, last, next_due):
    if last is not None and next_due is not None and next_due < last:
        raise ValidationError({"next_calibration_due": [
            _("The next calibration (%(next)s) cannot be due before the last one (%(last)s).") % {
                "next": next_due.isoformat(), "last": last.isoformat()}]})


def _save(device):
    """Save a device whose asset number the database keeps unique: a lost race (the serializer's
    check passed in both requests) is a 400 naming `asset_number` (devices.models.CONSTRAINT_ERRORS)."""
    with constraint_errors():
        device.save()


@transaction.atomic
def device_create(*, by, assigned_nurses=(), **fields):
    """A device created out of service (status other than active) is down from the start: its
    downtime period opens with it."""
    _check_placement(hospital=fields["hospital"], room=fields.get("room"))
    _check_people(engineer=fields.get("assigned_engineer"), nurses=assigned_nurses)
    _check_dates(fields)
    _check_calibration(last=fields.get("last_calibration_date"), next_due=fields.get("next_calibration_due"))
    reason = fields.pop("reason", "")
    if reason and fields.get("status", DeviceStatus.ACTIVE) == DeviceStatus.ACTIVE:
        raise ValidationError({"reason": [_("A reason goes with a device created out of service (a status other "
                                            "than active); leave it out.")]})
    device = Device(**fields)
    _save(device)
    device.assigned_nurses.set(assigned_nurses)
    if device.status != DeviceStatus.ACTIVE:
        downtime.follow_status(device, status=device.status, by=by, reason=reason or "Created out of service")
    return device


@transaction.atomic
def device_update(*, device, by, reason=None, **changes):
    """Admin edits any field, an engineer status and notes (the serializer decides which arrive).
    A status change follows the caller's transition table; `reason` goes with it to
    device_set_status (the downtime period's reason), and without a status change, or with a
    return to active, is a 400 naming it (it would describe nothing)."""
    device = _locked(device)
    nurses = changes.pop("assigned_nurses", None)
    new_status = changes.pop("status", None)
    if reason and (new_status is None or new_status == device.status):
        raise ValidationError({"reason": [
            _("A reason goes with a status change; the device stays %(status)s. Send it with a new status "
              "(or leave it out).") % {"status": device.status}]})
    if reason and new_status == DeviceStatus.ACTIVE:
        raise ValidationError({"reason": [
            _("A reason describes why a device goes out of service; returning to active takes none (leave it out).")]})
    _check_dates(changes)
    _check_placement(hospital=changes.get("hospital", device.hospital),
                     room=changes.get("room", device.room))
    _check_people(engineer=changes.get("assigned_engineer"), nurses=nurses)
    _check_calibration(last=changes.get("last_calibration_date", device.last_calibration_date),
                       next_due=changes.get("next_calibration_due", device.next_calibration_due))
    if new_status is not None and new_status != device.status:
        device = device_set_status(device=device, by=by, status=new_status, reason=reason or "")
    if changes.get("category", device.category) != DeviceCategory.MONITOR and device.patient_id is not None:
        raise Conflict(_("The monitor is assigned to a patient: unassign it before changing its category."),
                       code=errors.MONITOR_IN_USE)
    for name, value in changes.items():
        setattr(device, name, value)
    _save(device)
    if nurses is not None:
        device.assigned_nurses.set(nurses)
    return device


@transaction.atomic
def device_change_status(*, device, by, status=None, reason="", work_order=None):
    """Set `status`, or without one toggle: active -> inactive, anything else -> active. `reason`
    and `work_order` describe the downtime period a move out of `active` opens."""
    device = _locked(device)
    target = status or toggled_status(device.status)
    return device_set_status(device=device, by=by, status=target, reason=reason, work_order=work_order)


def device_set_status(*, device, by, status, reason="", work_order=None):
    """THE status change. Locks the device, checks the caller's transition table (`by=None`: a
    system job, any transition), saves the status and keeps its downtime periods in step
    (devices.downtime.follow_status: leaving `active` opens one, returning closes it)."""
    with constraint_errors():  # a lost race for the one open period: 409 downtime_open (devices.models)
        device = _locked(device)
        _check_transition(device, status, by)
        device.status = status
        device.save(update_fields=["status", "updated_at"])
        downtime.follow_status(device, status=status, by=by, reason=reason, work_order=work_order)
    return device


@transaction.atomic
def device_inventory_check(*, device, by, room):
    """Confirm where a device is: move it to `room`, stamp today, and record the check."""
    device = _locked(device)
    if room.hospital_id != device.hospital_id:
        raise ValidationError({"room": [_("Room %(room)s is not in %(hospital)s.") % {
            "room": room.number, "hospital": device.hospital}]})
    InventoryCheck.objects.create(device=device, checked_by=by, from_room=device.room, to_room=room)
    device.room = room
    device.last_inventory_date = timezone.localdate()
    device.save(update_fields=["room", "last_inventory_date", "updated_at"])
    return device


def device_assign_patient(*, device, patient, by):
    """Put a monitor on a patient. The OneToOne on Device.patient is the guarantee; the checks
    before it only give clearer answers, and a lost race still ends in the same 409
    (devices.models.CONSTRAINT_ERRORS)."""
    with constraint_errors():
        device = _locked(device)
        if device.category != DeviceCategory.MONITOR:
            message = _("Device %(device)s is not a monitor (category %(category)s).") % {
                "device": device.asset_number, "category": device.category}
            raise DomainError(message, code=errors.NOT_A_MONITOR,
                              errors={"device": [message], "category": [_("Only monitors are assigned.")]})
        if device.patient_id is not None:
            raise Conflict(_("This monitor is already assigned to a patient; unassign it first."),
                           code=errors.MONITOR_IN_USE)
        if device.status != DeviceStatus.ACTIVE:
            raise Conflict(_("Only an active monitor can be assigned (this one is %(status)s).") % {
                "status": device.status},
                           code=errors.DEVICE_NOT_ACTIVE)
        if Device.objects.filter(patient=patient).exists():
            raise Conflict(_("This patient already has a monitor; unassign it first."),
                           code=errors.PATIENT_HAS_MONITOR)
        device.patient = patient
        device.save(update_fields=["patient", "updated_at"])
    return device


@transaction.atomic
def device_unassign_patient(*, device, by):
    device = _locked(device)
    if device.patient_id is None:
        raise Conflict(_("This monitor is not assigned to a patient."), code=errors.MONITOR_NOT_ASSIGNED)
    device.patient = None
    device.save(update_fields=["patient", "updated_at"])
    return device


def device_delete(*, device, by):
    if device.patient_id is not None:
        raise Conflict(_("The monitor is assigned to a patient: unassign it first, or decommission it."),
                       code=errors.DEVICE_IN_USE)
    try:
        with transaction.atomic():
            device.delete()
    except ProtectedError as exc:
        raise Conflict(
            _("The device has work orders, spare-part requests or readings and cannot be deleted: "
              "decommission it instead (status decommissioned)."),
            code=errors.DEVICE_IN_USE,
        ) from exc


@transaction.atomic
def room_update(serializer):
    """A room moves to another hospital only while no device stands in it: a device's room must
    belong to the device's hospital. The room row is locked so the check and the write agree."""
    room = Room.objects.select_for_update().get(pk=serializer.instance.pk)
    hospital = serializer.validated_data.get("hospital", room.hospital)
    if hospital.pk != room.hospital_id and room.devices.exists():
        raise Conflict(_("Room %(room)s holds devices: move them out before moving the room to "
                         "another hospital.") % {"room": room.number}, code=errors.ROOM_IN_USE)
    with constraint_errors():  # a number taken in the hospital: 400 naming number (devices.models)
        return serializer.save()
