"""A device's downtime periods: a stretch of time it was out of service. Written only here, called
by the one status service (devices.services.device_set_status) and, for a device that stays `active`
but stops working (a monitor gone silent), by the jobs through `downtime_open` / `downtime_close`.

The database holds at most one open period per device (`devices_one_open_downtime_per_device`); a
write that loses a race to it answers 409 `downtime_open` (devices.models.CONSTRAINT_ERRORS) and
changes nothing."""

from django.db import transaction
from django.utils import timezone

from core.db import constraint_errors
from devices.choices import DeviceStatus
from devices.models import Device, DowntimePeriod


def _locked(device):
    return Device.objects.select_for_update().get(pk=device.pk)


def open_period(device):
    return DowntimePeriod.objects.filter(device=device, ended_at__isnull=True).first()


def _retirement_changes(period, status):
    """Whether a move between two statuses out of service crosses decommissioning. Time spent
    decommissioned is not downtime (the reliability report leaves it out of the observed time), so
    it is a period of its own, and its start is when the device was decommissioned."""
    return (period.status == DeviceStatus.DECOMMISSIONED) != (status == DeviceStatus.DECOMMISSIONED)


def _close(period, by):
    period.ended_at, period.closed_by = timezone.now(), by
    period.save(update_fields=["ended_at", "closed_by"])


def follow_status(device, *, status, by, reason="", work_order=None):
    """Keep a (locked) device's periods in step with the status it was just given:

    - leaving `active` opens a period (status, reason, `work_order`: the one given, else the
      device's newest open corrective work order); a period already open while the device was
      active (a silent monitor) is kept and takes the new status;
    - returning to `active` closes the open period (ended_at now, closed_by);
    - moving between two statuses out of service keeps the open period and updates its status (a
      reason or work order given then only fills the period's blanks: it keeps why it began),
      except into or out of `decommissioned`, which closes it and opens the next one."""
    period = open_period(device)
    if status == DeviceStatus.ACTIVE:
        if period is not None:
            _close(period, by)
    elif period is None or _retirement_changes(period, status):
        if period is not None:  # decommissioning starts a stretch of its own, and so does leaving it
            _close(period, by)
        DowntimePeriod.objects.create(
            device=device, status=status, reason=reason, opened_by=by,
            work_order=work_order or device.work_orders.open_corrective().first(),
        )
    else:
        period.status = status
        period.reason = period.reason or reason
        period.work_order = period.work_order or work_order or device.work_orders.open_corrective().first()
        period.save(update_fields=["status", "reason", "work_order"])


def downtime_open(*, device, reason, work_order=None, by=None):
    """Open a downtime period for a device that stays `active` but is not working (a monitor that
    went silent). Idempotent: while a period is open it is returned unchanged."""
    with constraint_errors():
        device = _locked(device)
        period = open_period(device)
        if period is None:
            period = DowntimePeriod.objects.create(
                device=device, reason=reason[:200], work_order=work_order, opened_by=by,
                status="" if device.status == DeviceStatus.ACTIVE else device.status,
            )
    return period


@transaction.atomic
def downtime_close(*, device, by=None, note=""):
    """Close the open period of a device that works again (the monitor's data flows). Idempotent:
    with no open period, None. A device out of service by its status stays down: only a return to
    `active` (device_set_status) closes its period, so nothing is closed then either. `note` is
    appended to the period's reason (within its 200 characters)."""
    device = _locked(device)
    period = open_period(device)
    if period is None or device.status != DeviceStatus.ACTIVE:
        return None
    period.ended_at, period.closed_by = timezone.now(), by
    if note:
        period.reason = f"{period.reason}; {note}" if period.reason else note
        period.reason = period.reason[:200]
    period.save(update_fields=["ended_at", "closed_by", "reason"])
    return period
