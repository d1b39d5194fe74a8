"""Today's and upcoming appointments, and the statistics."""
from datetime import time, timedelta

import pytest
from django.utils import timezone

from clinical.choices import AppointmentStatus
from core.testing import assert_error
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

S = AppointmentStatus
TODAY = timezone.localdate()


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_today_and_upcoming(doctor_client):
    doctor = doctor_client.user.doctor_profile
    today = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=TODAY, start_time=time(0, 0),
                                                    end_time=time(0, 1)))
    soon = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=TODAY + timedelta(days=1)))
    later = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=TODAY + timedelta(days=5)), status=S.CONFIRMED)
    AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=TODAY + timedelta(days=2)), status=S.CANCELLED)
    AppointmentFactory(slot=TimeSlotFactory(date=TODAY + timedelta(days=1)))  # another doctor's
    assert _ids(doctor_client.get("/api/appointments/today/")) == [today.id]
    assert _ids(doctor_client.get("/api/appointments/upcoming/")) == [soon.id, later.id]


def test_statistics_count_by_status_doctor_and_day(admin_client, doctor_client):
    day1, day2 = TODAY + timedelta(days=1), TODAY + timedelta(days=2)
    doctor = doctor_client.user.doctor_profile
    AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=day1))
    AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=day2), status=S.CANCELLED)
    other = AppointmentFactory(slot=TimeSlotFactory(date=day2), status=S.CONFIRMED)
    AppointmentFactory(slot=TimeSlotFactory(date=day2 + timedelta(days=5)))  # outside the range
    stats = admin_client.get(f"/api/appointments/statistics/?date_from={day1}&date_to={day2}").json()
    assert stats["total"] == 3
    assert stats["by_status"] == {"scheduled": 1, "confirmed": 1, "in_progress": 0, "completed": 0,
                                  "cancelled": 1, "no_show": 0}
    assert {(d["doctor"], d["count"]) for d in stats["by_doctor"]} == {(doctor.id, 2), (other.doctor_id, 1)}
    assert stats["by_day"] == [{"date": day1.isoformat(), "count": 1}, {"date": day2.isoformat(), "count": 2}]
    mine = doctor_client.get(f"/api/appointments/statistics/?date_from={day1}&date_to={day2}").json()
    assert mine["total"] == 2 and [d["doctor"] for d in mine["by_doctor"]] == [doctor.id]
    assert_error(admin_client.get(f"/api/appointments/statistics/?date_from={day2}&date_to={day1}"), 400,
                 fields=["date_from"])
    assert_error(admin_client.get("/api/appointments/statistics/?date_from=nope"), 400, fields=["date_from"])


def test_statistics_query_count_does_not_grow(admin_client, django_assert_max_num_queries):
    # Each on its own doctor, within the range whatever day the slot factory's sequence has reached.
    AppointmentFactory.create_batch(30, slot__date=TODAY + timedelta(days=1))
    with django_assert_max_num_queries(5):
        response = admin_client.get(f"/api/appointments/statistics/?date_from={TODAY}"
                                    f"&date_to={TODAY + timedelta(days=200)}")
    assert response.json()["total"] == 30
