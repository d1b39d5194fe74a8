"""reports.selectors.reliability_report on its own: one query per level, clipping at now."""

import pytest

from devices.choices import DeviceStatus
from devices.models import DowntimePeriod
from reports.selectors import FIGURES, reliability_report
from reports.serializers import DeviceReliabilitySerializer
from tests.factories.equipment import HospitalFactory
from tests.reports.conftest import at, device, down, work_order

pytestmark = pytest.mark.django_db

START, END = at(3, 1), at(3, 11)


@pytest.mark.parametrize("level", ["devices", "models", "hospitals"])
def test_each_level_is_one_query_however_many_devices(level, fleet, django_assert_num_queries):
    for n in range(5):
        extra = device(f"REL-X{n}", f"X-{n}", fleet.alpha, at(1, 1))
        down(extra, at(3, 2), at(3, 3))
        work_order(extra, at(3, 2), at(3, 3))
    report = reliability_report(start=START, end=END)
    with django_assert_num_queries(1):
        rows = list(report[level])
    assert len(rows) == {"devices": 3 + 5, "models": 2 + 5, "hospitals": 2}[level]
    assert all(set(FIGURES) <= set(row) for row in rows)


def test_building_the_report_runs_no_query(fleet, django_assert_num_queries):
    with django_assert_num_queries(0):
        reliability_report(start=START, end=END)


def test_a_range_reaching_past_now_is_observed_until_now():
    pump = device("NOW-1", "IP-200", HospitalFactory(), at(1, 1))
    down(pump, at(3, 10, 18))  # still open
    now = at(3, 10, 21)
    report = reliability_report(start=START, end=END, now=now)
    assert report["hours_in_range"] == 10 * 24  # the range itself
    (row,) = list(report["devices"])
    observed = 9 * 24 + 21  # 03-01 00:00 -> 03-10 21:00 (now)
    assert row["observed_hours"] == observed
    assert row["downtime_hours"] == 21 - 18  # the open period ends now, not at the range end
    assert row["uptime_percent"] == round((observed - 3) / observed * 100, 2) == 98.73


def test_a_range_in_the_future_observes_nothing():
    pump = device("LATER-1", "IP-200", HospitalFactory(), at(1, 1))
    down(pump, at(1, 20))  # open since before the range
    (row,) = list(reliability_report(start=START, end=END, now=at(2, 1))["devices"])  # now: before the range
    assert (row["observed_hours"], row["downtime_hours"], row["uptime_percent"], row["mtbf_hours"]) == (
        0, 0, None, None)


def test_a_period_before_the_devices_creation_counts_from_the_creation():
    pump = device("NEW-1", "IP-200", HospitalFactory(), at(3, 5))
    down(pump, at(3, 4), at(3, 5, 6))  # imported history: only 03-05 00:00 -> 06:00 is observed
    (row,) = list(reliability_report(start=START, end=END)["devices"])
    assert (row["observed_hours"], row["downtime_hours"]) == (6 * 24, 6)


def test_a_zero_length_repair_at_the_range_start_counts_once():
    pump = device("ZERO-1", "IP-200", HospitalFactory(), at(1, 1))
    work_order(pump, START, START)  # reported and closed at 03-01 00:00
    work_order(pump, at(2, 27), START)  # closed exactly at the start: no part inside the range
    (row,) = list(reliability_report(start=START, end=END)["devices"])
    assert (row["failures"], row["repairs"], row["repair_hours"], row["mttr_hours"]) == (1, 1, 0, 0)


def test_the_documented_device_shape_is_what_a_row_holds(fleet):
    (row, *_) = list(reliability_report(start=START, end=END)["devices"])
    assert list(row) == list(DeviceReliabilitySerializer().fields)


def test_time_spent_decommissioned_is_neither_observed_nor_downtime():
    pump = device("RETIRED-1", "IP-200", HospitalFactory(), at(1, 1))
    # In maintenance from 03-02 00:00, decommissioned 03-03 00:00 (a period of its own, as
    # devices.services.device_set_status splits it), re-commissioned into service 03-05 00:00.
    DowntimePeriod.objects.create(device=pump, started_at=at(3, 2), ended_at=at(3, 3),
                                  status=DeviceStatus.MAINTENANCE)
    DowntimePeriod.objects.create(device=pump, started_at=at(3, 3), ended_at=at(3, 5),
                                  status=DeviceStatus.DECOMMISSIONED)
    (row,) = list(reliability_report(start=START, end=END)["devices"])
    assert row["observed_hours"] == 240 - 48  # two days retired are not observed
    assert row["downtime_hours"] == 24  # only the maintenance day is downtime
    assert row["uptime_percent"] == round((192 - 24) / 192 * 100, 2) == 87.5


def test_a_device_retired_for_the_whole_range_has_no_uptime_figure():
    pump = device("RETIRED-2", "IP-200", HospitalFactory(), at(1, 1))
    DowntimePeriod.objects.create(device=pump, started_at=at(2, 1), status=DeviceStatus.DECOMMISSIONED)
    (row,) = list(reliability_report(start=START, end=END, now=at(4, 1))["devices"])
    assert (row["observed_hours"], row["downtime_hours"], row["uptime_percent"]) == (0, 0, None)
