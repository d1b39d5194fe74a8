"""The hand-computed fixture of the reliability report (docs/reliability.md works through it).

Range: from=2026-03-01 to=2026-03-10, i.e. [2026-03-01 00:00, 2026-03-11 00:00) UTC = 240 hours.

- REL-A (IP-200, hospital Alpha), created 2026-01-01: observed 240 h.
  Downtime: 02-27 12:00 -> 03-01 06:36 (crosses the start: 6.6 h inside), 03-04 10:00 -> 13:00 (3 h),
  02-01 -> 02-02 (before the range: 0). Corrective work orders: W1 reported 02-28 20:00, closed
  03-01 02:12 (not a failure in range; repair clipped to 00:00 -> 02:12 = 2.2 h), W2 reported
  03-04 10:00, closed 13:00 (failure, repair 3 h), W3 reported 03-09 22:00, still in progress
  (failure, no repair). A PM work order closed inside the range counts for nothing.
- REL-B (IP-200, hospital Beta), created 2026-03-03 12:00 (inside the range): observed 180 h.
  Downtime: 03-05 08:00 -> 20:00 (12 h), 03-10 18:00 -> still open (ends at the range end: 6 h).
  Corrective: W5 reported 03-05 08:00, closed 20:00 (failure, repair 12 h), W6 reported 03-10 20:00,
  closed 03-11 04:00 (crosses the end: failure, repair clipped to 20:00 -> 24:00 = 4 h), W7 reported
  03-12 (after the range: nothing).
- REL-C (VT-1, hospital Beta), created 2025-06-01: observed 240 h. Downtime 03-09 00:00 -> 03-12 00:00
  (crosses the end: 48 h inside). One corrective work order reported and closed in February: nothing.
- REL-D (IP-200, Alpha), created 2026-04-01 (after the range): not in the report.
"""

import datetime
from types import SimpleNamespace

import pytest

from devices.choices import DeviceStatus
from devices.models import Device, DowntimePeriod
from tests.factories.equipment import DeviceFactory, HospitalFactory, WorkOrderFactory
from workorders.choices import WorkOrderStatus, WorkType

UTC = datetime.UTC
RANGE = {"from": "2026-03-01", "to": "2026-03-10"}
URL = "/api/reports/reliability/"


def at(month, day, hour=0, minute=0, year=2026):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


def device(asset_number, model, hospital, created_at):
    made = DeviceFactory(asset_number=asset_number, model=model, hospital=hospital, name=f"Device {asset_number}")
    Device.objects.filter(pk=made.pk).update(created_at=created_at)  # auto_now_add: set afterwards
    made.refresh_from_db()
    return made


def down(device, started_at, ended_at=None):
    status = DeviceStatus.MAINTENANCE if ended_at is None else ""
    return DowntimePeriod.objects.create(device=device, started_at=started_at, ended_at=ended_at, status=status,
                                         reason="fixture")


def work_order(device, created_at, completed_at=None, *, status=None, work_type=WorkType.CORRECTIVE):
    if status is None:
        status = WorkOrderStatus.CLOSED if completed_at else WorkOrderStatus.OPEN
    return WorkOrderFactory(
        device=device, work_type=work_type, status=status, created_at=created_at, completed_at=completed_at,
        completed_date=completed_at.date() if completed_at else None, due_date=created_at.date(),
    )


@pytest.fixture
def fleet(db):
    alpha, beta = HospitalFactory(name="Alpha"), HospitalFactory(name="Beta")
    a = device("REL-A", "IP-200", alpha, at(1, 1))
    b = device("REL-B", "IP-200", beta, at(3, 3, 12))
    c = device("REL-C", "VT-1", beta, at(6, 1, year=2025))
    d = device("REL-D", "IP-200", alpha, at(4, 1))

    down(a, at(2, 27, 12), at(3, 1, 6, 36))
    down(a, at(3, 4, 10), at(3, 4, 13))
    down(a, at(2, 1), at(2, 2))
    work_order(a, at(2, 28, 20), at(3, 1, 2, 12))
    work_order(a, at(3, 4, 10), at(3, 4, 13))
    work_order(a, at(3, 9, 22), status=WorkOrderStatus.IN_PROGRESS)
    work_order(a, at(3, 5, 9), at(3, 5, 11), work_type=WorkType.PREVENTIVE)

    down(b, at(3, 5, 8), at(3, 5, 20))
    down(b, at(3, 10, 18))
    work_order(b, at(3, 5, 8), at(3, 5, 20))
    work_order(b, at(3, 10, 20), at(3, 11, 4))
    work_order(b, at(3, 12, 9))

    down(c, at(3, 9), at(3, 12))
    work_order(c, at(2, 10), at(2, 11))

    down(d, at(4, 2), at(4, 3))
    work_order(d, at(4, 2), at(4, 3))
    return SimpleNamespace(alpha=alpha, beta=beta, a=a, b=b, c=c, d=d)
