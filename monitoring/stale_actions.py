"""What the stale-monitor check (monitoring/stale.py) does to one monitor, each in its own
transaction under the monitor's row lock with the state re-checked (a pass run twice, or two at
once, acts once):

- raise_offline: a silent monitor goes offline: one technical alert (`device_offline`), one
  corrective work order for its engineer, its downtime period; the department's nurses and the
  engineer are notified, `alert.opened` and `device.offline` published;
- close_offline: a live offline alert with a reason to close resolves; on data flowing again its
  downtime and work order close too (or the work order gets a note if the engineer took it up),
  `alert.resolved` and `device.online` go out. docs/stale-monitors.md has the decisions."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from core.events import publish
from devices.choices import DeviceCategory, DeviceStatus
from devices.downtime import downtime_close, downtime_open
from devices.models import Device
from monitoring.choices import LIVE_ALERT_STATUSES, AlertKind, AlertSeverity, AlertStatus
from monitoring.models import Alert, Reading
from notifications.services import notify
from workorders.choices import Priority, WorkOrderStatus, WorkType
from workorders.models import WorkOrder
from workorders.services import workorder_close, workorder_create, workorder_start, workorder_update

OFFLINE_SEVERITY = AlertSeverity.WARNING

# Why a live offline alert closes (the report's counters and the alert's note).
FLOWING, UNASSIGNED, OUT_OF_SERVICE, DELETED = "flowing", "unassigned", "out_of_service", "deleted"


def _at(moment):
    """A time as notes and messages show it (the server's time zone, to the second)."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")


def live_offline():
    return Alert.objects.filter(kind=AlertKind.DEVICE_OFFLINE, status__in=LIVE_ALERT_STATUSES)


def _is_watched(device):
    """stale._watched on one locked row: a monitor, active, assigned to a patient."""
    return (device.category == DeviceCategory.MONITOR and device.status == DeviceStatus.ACTIVE
            and device.patient_id is not None)


def _last_reading_at(device):
    return (Reading.objects.filter(device_id=device.pk).order_by("-recorded_at")
            .values_list("recorded_at", flat=True).first())


def _nurses_of(patient):
    """The active, approved nurses of the patient's department (none without a department)."""
    if patient.department_id is None:
        return []
    return list(User.objects.filter(role=Role.NURSE, department_id=patient.department_id, is_active=True,
                                    approval_status=ApprovalStatus.APPROVED))


def _where(device):
    room = f"room {device.room.number}" if device.room_id else "no room recorded"
    return f"{room}, {device.hospital.name}"


# --- going offline -----------------------------------------------------------------------------

def raise_offline(device_pk, *, now, cutoff):
    """Open the alert, work order and downtime of one silent monitor, or nothing if, under its row
    lock, it is no longer silent, watched or without a live offline alert. Answers the alert or None."""
    with transaction.atomic():
        device = (Device.objects.select_related("patient", "hospital", "room", "assigned_engineer")
                  .select_for_update(of=("self",)).filter(pk=device_pk).first())
        if device is None or not _is_watched(device):
            return None
        if live_offline().filter(patient_id=device.patient_id).exists():
            return None
        last = _last_reading_at(device)
        silent_since = max(last or device.updated_at, device.updated_at)
        if silent_since >= cutoff:
            return None
        patient = device.patient
        never = last is None or last < device.updated_at
        since = f"{_at(silent_since)}" + (" (no reading since it was assigned or last changed)" if never else "")
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    patient=patient, device=device, kind=AlertKind.DEVICE_OFFLINE, severity=OFFLINE_SEVERITY,
                    status=AlertStatus.OPEN, first_value=None, last_value=None, peak_value=None,
                    opened_at=now, last_breach_at=now, device_suspect=False,
                    note=f"Monitor {device.asset_number} has sent no data since {since}.",
                )
        except IntegrityError:  # the partial unique index: another writer opened it meanwhile
            return None
        work_order = workorder_create(
            by=None, device=device, work_type=WorkType.CORRECTIVE, priority=Priority.HIGH,
            description=(f"Monitor {device.asset_number} ({device.name}, {_where(device)}) is assigned to a "
                         f"patient and has sent no data since {since}. Check its power, network and sensor. "
                         f"Opened automatically by the stale-monitor check (technical alert #{alert.pk}); it "
                         "closes by itself when data flows again."),
        )
        downtime = downtime_open(device=device, reason=f"Monitor silent since {_at(silent_since)}",
                                 work_order=work_order, by=None)
        alert.work_order = work_order
        alert.save(update_fields=["work_order"])
        _announce_offline(alert, device, work_order, downtime, silent_since)
    return alert


def _announce_offline(alert, device, work_order, downtime, silent_since):
    patient = device.patient
    data = {"alert": alert.pk, "device": device.pk, "patient": patient.pk, "work_order": work_order.pk,
            "downtime": downtime.pk, "silent_since": silent_since.isoformat()}
    notify(
        users=_nurses_of(patient), kind="device.offline",
        title=f"Monitor silent: {patient.first_name} {patient.last_name} ({patient.medical_record_number})",
        body=(f"Monitor {device.asset_number} ({_where(device)}) has sent no data since {_at(silent_since)}. "
              f"Technical alert #{alert.pk} is open; work order {work_order.work_number} was raised for its engineer."),
        data=data,
    )
    notify(
        users=[work_order.assigned_to], kind="workorder.assigned",
        title=f"Work order {work_order.work_number} (high): monitor {device.asset_number} silent",
        body=(f"Monitor {device.asset_number} ({_where(device)}) has sent no data since {_at(silent_since)}. "
              f"Work order {work_order.work_number} is assigned to you; it closes by itself if data flows again."),
        data={"work_order": work_order.pk, "device": device.pk},
    )
    publish("alert.opened", {"id": alert.pk, "kind": alert.kind, "severity": alert.severity,
                             "status": alert.status, "patient": patient.pk, "device": device.pk,
                             "work_order": work_order.pk}, instance=alert)
    publish("device.offline", {"id": device.pk, "patient": patient.pk, "alert": alert.pk,
                               "work_order": work_order.pk, "silent_since": silent_since.isoformat()},
            instance=device)


# --- closing -----------------------------------------------------------------------------------

def _close_reason(alert, device, cutoff):
    if device is None:
        return DELETED, None
    if device.patient_id != alert.patient_id:
        return UNASSIGNED, None
    if device.status != DeviceStatus.ACTIVE:
        return OUT_OF_SERVICE, None
    last = _last_reading_at(device)
    if last is not None and last >= cutoff:
        return FLOWING, last
    return None, None


def _resolution_note(reason, device, last, now):
    if reason == FLOWING:
        return f"Data flowing again at {_at(last)}."
    if reason == UNASSIGNED:
        return f"Monitor unassigned from the patient (seen at {_at(now)}): its silence is no longer watched."
    if reason == OUT_OF_SERVICE:
        return (f"Monitor taken out of service ({device.status}, seen at {_at(now)}): its silence is no "
                "longer watched; its downtime and work order continue.")
    return f"Monitor deleted (seen at {_at(now)})."


def close_offline(alert_pk, device_pk, *, now, cutoff):
    """Resolve one live offline alert if, under the locks (monitor, then alert), it has a reason to
    close; on data flowing again also close the downtime and the work order. Answers the reason or None."""
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(pk=device_pk).first() if device_pk else None
        alert = Alert.objects.select_for_update().filter(pk=alert_pk).first()
        if alert is None or alert.status not in LIVE_ALERT_STATUSES or alert.kind != AlertKind.DEVICE_OFFLINE:
            return None
        if alert.device_id != device_pk:  # the alert now names another monitor: the next pass decides
            return None
        reason, last = _close_reason(alert, device, cutoff)
        if reason is None:
            return None
        note = _resolution_note(reason, device, last, now)
        alert.status, alert.resolved_by, alert.resolved_at = AlertStatus.RESOLVED, None, now
        alert.note = f"{alert.note}\n{note}" if alert.note else note
        alert.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
        publish("alert.resolved", {"id": alert.pk, "kind": alert.kind, "status": alert.status,
                                   "patient": alert.patient_id, "device": alert.device_id, "reason": reason},
                instance=alert)
        if reason == FLOWING:
            _back_online(alert, device, last)
        elif reason == UNASSIGNED:
            # Nobody watches an unassigned monitor's silence: the period it opened ends (the work
            # order stays open: the engineer still checks why it went silent).
            downtime_close(device=device, by=None, note="Monitor unassigned: silence no longer watched")
    return reason


def _back_online(alert, device, last):
    when = _at(last)
    downtime_close(device=device, by=None, note=f"Data flowing again at {when}")
    work_order = WorkOrder.objects.filter(pk=alert.work_order_id).first() if alert.work_order_id else None
    if work_order is not None and work_order.status != WorkOrderStatus.CLOSED:
        if work_order.status == WorkOrderStatus.OPEN and not work_order.technical_action.strip():
            workorder_start(work_order=work_order, by=None)
            workorder_close(work_order=work_order, by=None,
                            technical_action=f"Closed automatically: data flowing again at {when} "
                                             "(no intervention recorded).")
        else:  # the engineer already took it up: keep its status, leave a note
            note = (f"Note (automatic): data flowing again at {when}; the technical alert and the downtime "
                    "closed. Close this work order once checked.")
            action = work_order.technical_action.rstrip()
            workorder_update(work_order=work_order, by=None,
                             technical_action=f"{action}\n{note}" if action else note)
    patient = device.patient
    data = {"alert": alert.pk, "device": device.pk, "patient": patient.pk,
            "work_order": alert.work_order_id, "data_since": last.isoformat()}
    notify(
        users=_nurses_of(patient), kind="device.online", email=False,
        title=f"Monitor sending again: {patient.first_name} {patient.last_name} ({patient.medical_record_number})",
        body=f"Monitor {device.asset_number} sends data again (at {when}); technical alert #{alert.pk} resolved.",
        data=data,
    )
    publish("device.online", {"id": device.pk, "patient": patient.pk, "alert": alert.pk,
                              "work_order": alert.work_order_id, "data_since": last.isoformat()}, instance=device)
