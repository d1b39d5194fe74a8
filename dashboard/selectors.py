"""The dashboard: per-role counts, each a fixed number of aggregate queries, plus recent activity.

COUNTS_BY_ROLE maps a role to the functions whose dicts are merged into its `counts`; other
issues (appointments, alerts) add their function to a role's list.
"""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from accounts.choices import Role
from clinical.choices import UPCOMING_STATUSES
from clinical.models import Appointment, not_started_q
from devices.choices import DeviceCategory, DeviceStatus
from devices.models import Device, Hospital, calibration_overdue_q, warranty_expiring_q
from monitoring.choices import AlertSeverity, AlertStatus
from monitoring.models import Alert
from spareparts.choices import SparePartStatus
from spareparts.models import SparePartRequest
from workorders.choices import WorkOrderStatus, WorkType
from workorders.models import WorkOrder, overdue_q

RECENT_ACTIVITY_SIZE = 10
WARRANTY_WINDOW_DAYS = 30


def _maintenance_aggregates(today):
    """Preventive maintenance, calibration and warranty counts, as extra aggregates folded into the
    work-order and device aggregates each dashboard already runs (no query of their own)."""
    pm = Q(work_type=WorkType.PREVENTIVE)
    work_orders = {
        "pm_due_this_week": Count("pk", filter=pm & ~Q(status=WorkOrderStatus.CLOSED) & Q(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=6))),
        "pm_overdue": Count("pk", filter=pm & overdue_q(today)),
    }
    in_service = ~Q(status=DeviceStatus.DECOMMISSIONED)
    devices = {
        "calibrations_overdue": Count("pk", filter=in_service & calibration_overdue_q(today)),
        "warranties_expiring_30d": Count("pk", filter=in_service & warranty_expiring_q(WARRANTY_WINDOW_DAYS, today)),
    }
    return work_orders, devices


def _pop(counts, names):
    return {name: counts.pop(name) for name in names}


def _by_status(queryset, choices, **extra):
    """{"total": n, <status>: n, ...} (and any extra aggregates) in one aggregate query."""
    aggregates = {"total": Count("pk"), **extra}
    aggregates.update({status.value: Count("pk", filter=Q(status=status)) for status in choices})
    return queryset.aggregate(**aggregates)


def admin_counts(user):
    today = timezone.localdate()
    pm, equipment = _maintenance_aggregates(today)
    work_orders = _by_status(WorkOrder.objects.all(), WorkOrderStatus, overdue=Count("pk", filter=overdue_q(today)),
                             **pm)
    overdue = work_orders.pop("overdue")
    pm_counts = _pop(work_orders, pm)
    devices = _by_status(Device.objects.all(), DeviceStatus, **equipment)
    equipment_counts = _pop(devices, equipment)
    return {
        "hospitals": Hospital.objects.count(),
        "devices_by_status": devices,
        "work_orders_by_status": work_orders,
        "overdue_work_orders": overdue,
        "pending_spare_parts": SparePartRequest.objects.filter(status=SparePartStatus.PENDING).count(),
        **pm_counts,
        **equipment_counts,
    }


def engineer_counts(user):
    """Work orders assigned to the engineer (PM ones included) and the devices assigned to them."""
    today = timezone.localdate()
    pm, equipment = _maintenance_aggregates(today)
    mine = WorkOrder.objects.filter(assigned_to=user).aggregate(
        my_open_work_orders=Count("pk", filter=Q(status=WorkOrderStatus.OPEN)),
        my_in_progress_work_orders=Count("pk", filter=Q(status=WorkOrderStatus.IN_PROGRESS)),
        my_overdue_work_orders=Count("pk", filter=overdue_q(today)),
        **pm,
    )
    devices = Device.objects.filter(assigned_engineer=user).aggregate(assigned_devices=Count("pk"), **equipment)
    return {**devices, **mine}


def nurse_counts(user):
    return WorkOrder.objects.filter(created_by=user).aggregate(
        my_open_work_orders=Count("pk", filter=Q(status=WorkOrderStatus.OPEN)),
        my_closed_work_orders=Count("pk", filter=Q(status=WorkOrderStatus.CLOSED)),
    )


def doctor_device_counts(user):
    monitors = Device.objects.visible_to(user).filter(category=DeviceCategory.MONITOR)
    return {"patient_monitors": monitors.count()}


def doctor_appointment_counts(user):
    """Today's appointments (any status but cancelled) and the coming ones still to be seen."""
    today = timezone.localdate()
    return Appointment.objects.visible_to(user).live().aggregate(  # the upcoming statuses are all live
        todays_appointments=Count("pk", filter=Q(slot__date=today)),
        upcoming_appointments=Count("pk", filter=not_started_q("slot__") & Q(status__in=UPCOMING_STATUSES)),
    )


def alert_counts(user):
    """Heart-rate alerts of the caller's patients that nobody has acknowledged yet."""
    return Alert.objects.visible_to(user).aggregate(
        open_alerts=Count("pk", filter=Q(status=AlertStatus.OPEN)),
        critical_open_alerts=Count("pk", filter=Q(status=AlertStatus.OPEN, severity=AlertSeverity.CRITICAL)),
    )


COUNTS_BY_ROLE = {
    Role.ADMIN: [admin_counts],
    Role.ENGINEER: [engineer_counts],
    Role.NURSE: [nurse_counts],
    Role.DOCTOR: [doctor_device_counts, doctor_appointment_counts, alert_counts],
    Role.PATIENT: [],
}


def _events(row, kind, number):
    """A row's created event, and its updated event when it changed after creation."""
    base = {"type": kind, "id": row.pk, "number": number, "status": row.status,
            "device": row.device_id, "device_name": row.device.name}
    events = [{**base, "event": "created", "at": row.created_at}]
    if row.updated_at != row.created_at:
        events.append({**base, "event": "updated", "at": row.updated_at})
    return events


def recent_activity(user, size=RECENT_ACTIVITY_SIZE):
    """The newest created/updated events of the work orders and spare-part requests the user sees.
    A row's newest event is its updated_at, so the `size` most recently updated rows of each kind
    hold every event that can make the top `size`: two queries whatever the data."""
    work_orders = WorkOrder.objects.visible_to(user).select_related("device").order_by("-updated_at", "-id")
    requests = SparePartRequest.objects.visible_to(user).select_related("device").order_by("-updated_at", "-id")
    events = []
    for work_order in work_orders[:size]:
        events.extend(_events(work_order, "work_order", work_order.work_number))
    for spare_request in requests[:size]:
        events.extend(_events(spare_request, "spare_part_request", spare_request.request_number))
    events.sort(key=lambda event: event["at"], reverse=True)
    return events[:size]


def dashboard_for(user):
    counts = {}
    for compute in COUNTS_BY_ROLE.get(user.role, []):
        counts.update(compute(user))
    return {"role": user.role, "counts": counts, "recent_activity": recent_activity(user)}
