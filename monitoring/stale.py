"""Silent monitors: the stale-monitor check (`check_stale_monitors`, a job every minute).

A monitor (a `devices.Device` of category monitor) that is assigned to a patient, `active`, and has
sent nothing for `MONITOR_STALE_SECONDS` (default 300) goes *offline*. Once, while it stays silent,
the pass then:

1. opens one technical `Alert` (`kind: device_offline`, severity warning, values null, a note saying
   since when it is silent), kept unique by the partial index "one live alert per patient and kind";
2. opens one corrective work order for the monitor's engineer (priority high, no clinical text);
3. opens the monitor's downtime period, linked to that work order;
4. notifies the nurses of the patient's department (and the engineer, of the work order) and
   publishes `alert.opened` and `device.offline`.

When data flows again (its newest reading is again within `MONITOR_STALE_SECONDS`) a later pass
closes all three: the alert resolves (`resolved_by` empty, a note), the downtime closes, and the
work order closes with a technical action saying so if nobody touched it (still `open`, no
technical action), else it keeps its status and gets a note; `alert.resolved` and `device.online`
go out. An offline alert whose monitor was unassigned (or moved to another patient), taken out of
service, or deleted resolves too, with a note saying why (its work order stays for the engineer).

"Silent since" is the newest of the monitor's last reading (`recorded_at`; readings have no
stored-at column) and its `updated_at` (there is no assigned-at column: assigning a monitor saves
it, so `updated_at` is a lower bound of the assignment time and a freshly assigned monitor that never
sent anything goes offline MONITOR_STALE_SECONDS after it was assigned). docs/stale-monitors.md has
the decisions.

Detection is set-based: one query lists the silent monitors, one the live offline alerts to close
(each annotates its monitor's newest reading through a Subquery that reads the (device, recorded_at)
unique index backwards: ORDER BY recorded_at DESC LIMIT 1). Each monitor is then handled in its own
transaction under its row lock, with the state re-checked, so a pass run twice, or two at once,
acts once. This module holds the detection and the pass; the per-monitor actions (going offline,
coming back) are in monitoring/stale_actions.py.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import DateTimeField, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from devices.choices import DeviceCategory, DeviceStatus
from devices.models import Device
from monitoring.models import Reading
from monitoring.stale_actions import (
    DELETED,
    FLOWING,
    OFFLINE_SEVERITY,
    OUT_OF_SERVICE,
    UNASSIGNED,
    close_offline,
    live_offline,
    raise_offline,
)

__all__ = ["DELETED", "FLOWING", "OFFLINE_SEVERITY", "OUT_OF_SERVICE", "UNASSIGNED", "check_stale_monitors",
           "max_per_run", "newest_reading", "offline_alerts_to_close", "silent_monitors", "stale_seconds"]

logger = logging.getLogger("meditrack.jobs")

DEFAULT_MAX_PER_RUN = 500


def stale_seconds():
    return settings.MONITOR_STALE_SECONDS


def max_per_run():
    return getattr(settings, "MONITOR_STALE_MAX_PER_RUN", DEFAULT_MAX_PER_RUN)


def newest_reading(device_ref):
    """The newest recorded_at of the monitor `device_ref` names: the unique index (device,
    recorded_at) read backwards, one row (on PostgreSQL one backward index scan per partition)."""
    return Subquery(
        Reading.objects.filter(device_id=OuterRef(device_ref)).order_by("-recorded_at").values("recorded_at")[:1],
        output_field=DateTimeField(),
    )


def _watched(queryset):
    """Monitors whose silence matters: assigned to a patient and active."""
    return queryset.filter(category=DeviceCategory.MONITOR, status=DeviceStatus.ACTIVE, patient__isnull=False)


def silent_monitors(cutoff):
    """THE detection query: watched monitors silent since before `cutoff`, with no live offline
    alert for their patient yet, longest silent first. Rows: pk, silent_since."""
    return (
        _watched(Device.objects.all())
        .annotate(last_reading_at=newest_reading("pk"))
        .annotate(silent_since=Greatest(Coalesce("last_reading_at", "updated_at"), "updated_at"))
        .filter(silent_since__lt=cutoff)
        .exclude(Exists(live_offline().filter(patient_id=OuterRef("patient_id"))))
        .order_by("silent_since", "pk")
        .values("pk", "silent_since")
    )


def offline_alerts_to_close(cutoff):
    """Live offline alerts whose monitor sends again (newest reading at or after `cutoff`), was
    unassigned from the patient (or moved to another), is no longer active, or was deleted."""
    return (
        live_offline()
        .annotate(last_reading_at=newest_reading("device_id"))
        .filter(
            Q(device__isnull=True)
            | Q(device__patient__isnull=True)
            | ~Q(device__patient_id=F("patient_id"))
            | ~Q(device__status=DeviceStatus.ACTIVE)
            | Q(last_reading_at__gte=cutoff)
        )
        .order_by("opened_at", "pk")
        .values("pk", "device_id")
    )


# --- the pass ----------------------------------------------------------------------------------

def _bounded(queryset, limit):
    """(at most `limit` rows, how many more there are): the count runs only when the cap is hit."""
    rows = list(queryset[:limit + 1])
    if len(rows) <= limit:
        return rows, 0
    return rows[:limit], queryset.count() - limit


def _each(rows, action, label):
    """Run `action(row)` for every row, each in its own transaction: one failure is logged and
    counted and does not stop the others. Answers (results, failures)."""
    results, failed = [], 0
    for row in rows:
        try:
            results.append(action(row))
        except Exception:
            failed += 1
            logger.exception("check_stale_monitors: %s failed for %s", label, row)
    return results, failed


def check_stale_monitors(*, now=None, limit=None):
    """One pass: close what came back (or is no longer watched), then raise what went silent. At most
    `limit` (MONITOR_STALE_MAX_PER_RUN, 500) monitors each way; the rest waits for the next pass
    (`capped`). Report: went_offline, came_back (data flowing again), no_longer_watched (unassigned,
    out of service or deleted), still_offline (live offline alerts left from earlier passes),
    capped, failed."""
    now = now or timezone.now()
    limit = max_per_run() if limit is None else limit
    cutoff = now - timedelta(seconds=stale_seconds())

    closing, capped_closing = _bounded(offline_alerts_to_close(cutoff), limit)
    reasons, failed_closing = _each(
        closing, lambda row: close_offline(row["pk"], row["device_id"], now=now, cutoff=cutoff), "closing")

    silent, capped_silent = _bounded(silent_monitors(cutoff), limit)
    opened, failed_opening = _each(silent, lambda row: raise_offline(row["pk"], now=now, cutoff=cutoff), "raising")

    went_offline = sum(alert is not None for alert in opened)
    return {
        "went_offline": went_offline,
        "came_back": reasons.count(FLOWING),
        "no_longer_watched": sum(reason in (UNASSIGNED, OUT_OF_SERVICE, DELETED) for reason in reasons),
        "still_offline": max(0, live_offline().count() - went_offline),
        "capped": capped_closing + capped_silent,
        "failed": failed_closing + failed_opening,
    }
