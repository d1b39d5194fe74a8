"""Slots are made for the future: past days and already-started times are refused or skipped."""
from datetime import timedelta

import pytest
from django.utils import timezone

from clinical.models import TimeSlot
from core.testing import assert_error
from tests.factories.clinical import TimeSlotFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TOMORROW = TODAY + timedelta(days=1)


def test_slot_on_an_earlier_day_is_refused_naming_date(doctor_client):
    response = doctor_client.post("/api/time-slots/", {"date": (TODAY - timedelta(days=1)).isoformat(),
                                                       "start_time": "09:00", "end_time": "09:30"})
    assert_error(response, 400, "validation_error", ["date"])
    assert not TimeSlot.objects.exists()


def test_slot_earlier_today_is_refused_naming_start_time(doctor_client):
    now = timezone.localtime()
    if now.hour == 0 and now.minute < 2:
        pytest.skip("needs a minute of today behind us")
    response = doctor_client.post("/api/time-slots/", {"date": TODAY.isoformat(), "start_time": "00:00",
                                                       "end_time": "00:01"})
    assert_error(response, 400, "validation_error", ["start_time"])
    assert not TimeSlot.objects.exists()


def test_free_slot_cannot_be_moved_into_the_past(doctor_client):
    slot = TimeSlotFactory(doctor=doctor_client.user.doctor_profile)
    response = doctor_client.patch(f"/api/time-slots/{slot.id}/", {"date": (TODAY - timedelta(days=3)).isoformat()})
    assert_error(response, 400, fields=["date"])
    slot.refresh_from_db()
    assert slot.date > TODAY


def test_bulk_run_starting_in_the_past_is_refused(doctor_client):
    body = {"date_from": (TODAY - timedelta(days=1)).isoformat(), "date_to": TOMORROW.isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "09:00", "end_time": "10:00", "slot_minutes": 30}
    assert_error(doctor_client.post("/api/time-slots/bulk/", body), 400, fields=["date_from"])
    assert not TimeSlot.objects.exists()


def test_bulk_run_for_today_skips_the_slots_already_started(doctor_client):
    now = timezone.localtime()
    if now.hour == 0 or now.hour == 23:
        pytest.skip("needs an hour behind and ahead of us today")
    body = {"date_from": TODAY.isoformat(), "date_to": TODAY.isoformat(), "weekdays": [TODAY.isoweekday()],
            "start_time": "00:00", "end_time": "23:59", "slot_minutes": 60}
    response = doctor_client.post("/api/time-slots/bulk/", body)
    assert response.status_code == 201, response.content
    result = response.json()
    assert result["skipped"] and all(s["reason"] == "already started" for s in result["skipped"])
    assert len(result["created"]) + len(result["skipped"]) == 23
    assert all(slot.starts_at > timezone.now() for slot in TimeSlot.objects.all())
    assert TimeSlot.objects.count() == len(result["created"]) > 0
