from datetime import time, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.choices import Role
from clinical.choices import AppointmentStatus
from clinical.models import TimeSlot
from core.testing import assert_error
from tests.factories import DoctorProfileFactory, PatientFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate() + timedelta(days=1)


def _slot(client, **fields):
    return client.post("/api/time-slots/", {"date": TOMORROW.isoformat(), "start_time": "09:00",
                                            "end_time": "09:30", **fields})


def test_doctor_creates_own_slot_omitting_doctor(doctor_client):
    response = _slot(doctor_client)
    assert response.status_code == 201, response.content
    slot = TimeSlot.objects.get(pk=response.json()["id"])
    assert slot.doctor == doctor_client.user.doctor_profile and slot.start_time == time(9, 0)
    assert response.json()["is_available"] is True


def test_doctor_cannot_create_slot_for_another_doctor(doctor_client):
    assert_error(_slot(doctor_client, doctor=DoctorProfileFactory().id), 400, fields=["doctor"])
    assert not TimeSlot.objects.exists()


def test_admin_creates_slot_for_any_doctor_and_must_name_one(admin_client):
    doctor = DoctorProfileFactory()
    assert _slot(admin_client, doctor=doctor.id).status_code == 201
    assert_error(_slot(admin_client, start_time="10:00", end_time="10:30"), 400, fields=["doctor"])
    assert list(TimeSlot.objects.values_list("doctor", flat=True)) == [doctor.id]


@pytest.mark.parametrize("role", [Role.NURSE, Role.ENGINEER, Role.PATIENT])
def test_other_roles_cannot_create_slots(clients, role):
    assert_error(_slot(clients[role], doctor=DoctorProfileFactory().id), 403)
    assert_error(clients[role].post("/api/time-slots/bulk/", {}), 403)
    assert not TimeSlot.objects.exists()


@pytest.mark.parametrize("start, end", [("10:00", "10:00"), ("10:00", "09:00")])
def test_end_must_follow_start(doctor_client, start, end):
    assert_error(_slot(doctor_client, start_time=start, end_time=end), 400, fields=["end_time"])
    assert not TimeSlot.objects.exists()


@pytest.mark.parametrize("start, end", [("09:00", "09:30"), ("08:45", "09:15"), ("09:10", "09:20"),
                                        ("08:00", "10:00"), ("09:29", "09:45")])
def test_overlapping_slots_are_refused(doctor_client, start, end):
    assert _slot(doctor_client).status_code == 201
    assert_error(_slot(doctor_client, start_time=start, end_time=end), 400, fields=["start_time"])
    assert TimeSlot.objects.count() == 1


def test_back_to_back_slots_and_other_doctors_are_fine(doctor_client):
    assert _slot(doctor_client).status_code == 201
    assert _slot(doctor_client, start_time="09:30", end_time="10:00").status_code == 201
    assert _slot(doctor_client, start_time="08:30", end_time="09:00").status_code == 201
    TimeSlotFactory(date=TOMORROW, start_time=time(9, 0), end_time=time(9, 30))  # another doctor, same time
    assert TimeSlot.objects.count() == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints exist on PostgreSQL only")
def test_exclusion_constraint_refuses_overlap_bypassing_the_service():
    slot = TimeSlotFactory(start_time=time(9, 0), end_time=time(10, 0))
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeSlot.objects.create(doctor=slot.doctor, date=slot.date, start_time=time(9, 59), end_time=time(10, 30))
    TimeSlot.objects.create(doctor=slot.doctor, date=slot.date, start_time=time(10, 0), end_time=time(10, 30))
    assert TimeSlot.objects.count() == 2


def test_list_filters(client_for):
    doctor = DoctorProfileFactory()
    free = TimeSlotFactory(doctor=doctor, date=TOMORROW)
    taken = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=TOMORROW + timedelta(days=1))).slot
    cancelled = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=TOMORROW + timedelta(days=2)),
                                   status=AppointmentStatus.CANCELLED).slot
    past = TimeSlotFactory(doctor=doctor, date=TOMORROW - timedelta(days=3))
    TimeSlotFactory()  # another doctor
    client = client_for(Role.ENGINEER)  # any authenticated user reads slots
    ids = lambda query: {s["id"] for s in client.get(f"/api/time-slots/?doctor={doctor.id}{query}").json()["results"]}  # noqa: E731
    assert ids("") == {free.id, taken.id, cancelled.id, past.id}
    assert ids("&available=true") == {free.id, cancelled.id}
    assert ids("&available=false") == {taken.id}
    assert_error(client.get(f"/api/time-slots/?doctor={doctor.id}&available=maybe"), 400, fields=["available"])
    assert ids(f"&date_from={TOMORROW}&date_to={TOMORROW + timedelta(days=1)}") == {free.id, taken.id}
    rows = {s["id"]: s["is_available"] for s in client.get(f"/api/time-slots/?doctor={doctor.id}").json()["results"]}
    assert rows == {free.id: True, taken.id: False, cancelled.id: True, past.id: False}


def test_owner_moves_and_deletes_free_slot(doctor_client):
    slot = TimeSlotFactory(doctor=doctor_client.user.doctor_profile)
    response = doctor_client.patch(f"/api/time-slots/{slot.id}/", {"start_time": "11:00", "end_time": "11:30"})
    assert response.status_code == 200, response.content
    slot.refresh_from_db()
    assert slot.start_time == time(11, 0)
    assert doctor_client.delete(f"/api/time-slots/{slot.id}/").status_code == 204
    assert not TimeSlot.objects.filter(pk=slot.id).exists()


def test_update_refuses_overlap_and_bad_times(doctor_client):
    doctor = doctor_client.user.doctor_profile
    first = TimeSlotFactory(doctor=doctor, date=TOMORROW, start_time=time(9, 0), end_time=time(9, 30))
    second = TimeSlotFactory(doctor=doctor, date=TOMORROW, start_time=time(10, 0), end_time=time(10, 30))
    assert_error(doctor_client.patch(f"/api/time-slots/{second.id}/", {"start_time": "09:15"}), 400,
                 fields=["start_time"])
    assert_error(doctor_client.patch(f"/api/time-slots/{second.id}/", {"end_time": "09:45"}), 400,
                 fields=["end_time"])
    second.refresh_from_db()
    assert (second.start_time, second.end_time) == (time(10, 0), time(10, 30))
    assert first.start_time == time(9, 0)


def test_doctor_cannot_touch_another_doctors_slot(doctor_client):
    slot = TimeSlotFactory()
    assert_error(doctor_client.patch(f"/api/time-slots/{slot.id}/", {"start_time": "11:00"}), 404)
    assert_error(doctor_client.delete(f"/api/time-slots/{slot.id}/"), 404)
    assert TimeSlot.objects.get(pk=slot.id).start_time == time(9, 0)


@pytest.mark.parametrize("status", [AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED,
                                    AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW])
def test_slot_holding_live_appointment_cannot_change(admin_client, status):
    slot = AppointmentFactory(status=status).slot
    assert_error(admin_client.patch(f"/api/time-slots/{slot.id}/", {"start_time": "11:00", "end_time": "11:30"}),
                 409, "slot_booked")
    assert_error(admin_client.delete(f"/api/time-slots/{slot.id}/"), 409, "slot_booked")
    slot.refresh_from_db()
    assert slot.start_time == time(9, 0)


def test_slot_with_only_cancelled_appointments_stays_put_but_bookable(admin_client):
    slot = AppointmentFactory(status=AppointmentStatus.CANCELLED).slot
    before = (slot.start_time, slot.end_time)
    assert_error(admin_client.patch(f"/api/time-slots/{slot.id}/", {"start_time": "11:00", "end_time": "11:30"}),
                 409, "slot_has_history")
    assert_error(admin_client.delete(f"/api/time-slots/{slot.id}/"), 409, "slot_has_history")
    slot.refresh_from_db()
    assert (slot.start_time, slot.end_time) == before
    patient = PatientFactory()
    booked = admin_client.post("/api/appointments/", {"patient": patient.id, "slot": slot.id, "reason": "x"},
                               format="json")
    assert booked.status_code == 201, booked.content


def _monday_after(day):
    return day + timedelta(days=(7 - day.weekday()) % 7 or 7)


def test_bulk_creates_run_and_reports_skipped(doctor_client):
    monday = _monday_after(timezone.localdate())
    existing = TimeSlotFactory(doctor=doctor_client.user.doctor_profile, date=monday, start_time=time(9, 15),
                               end_time=time(9, 45))
    body = {"date_from": monday.isoformat(), "date_to": (monday + timedelta(days=6)).isoformat(),
            "weekdays": [1, 3], "start_time": "09:00", "end_time": "10:00", "slot_minutes": 30}
    response = doctor_client.post("/api/time-slots/bulk/", body)
    assert response.status_code == 201, response.content
    result = response.json()
    # Monday 09:00 and 09:30 both overlap 09:15-09:45; Wednesday gets both.
    assert [(s["date"], s["start_time"]) for s in result["created"]] == [
        ((monday + timedelta(days=2)).isoformat(), "09:00:00"), ((monday + timedelta(days=2)).isoformat(), "09:30:00")]
    assert [(s["date"], s["start_time"]) for s in result["skipped"]] == [
        (monday.isoformat(), "09:00:00"), (monday.isoformat(), "09:30:00")]
    assert all(s["reason"] for s in result["skipped"])
    assert TimeSlot.objects.exclude(pk=existing.pk).count() == 2
    again = doctor_client.post("/api/time-slots/create_bulk_slots/", body)
    assert again.status_code == 201 and again.json()["created"] == [] and len(again.json()["skipped"]) == 4


@pytest.mark.parametrize("change, field", [
    ({"date_to": (TOMORROW + timedelta(days=92)).isoformat()}, "date_to"),
    ({"date_to": (TOMORROW - timedelta(days=1)).isoformat()}, "date_to"),
    ({"weekdays": [0]}, "weekdays"),
    ({"weekdays": []}, "weekdays"),
    ({"end_time": "08:00"}, "end_time"),
    ({"slot_minutes": 120}, "slot_minutes"),
    ({"slot_minutes": 0}, "slot_minutes"),
])
def test_bulk_bad_input(doctor_client, change, field):
    body = {"date_from": TOMORROW.isoformat(), "date_to": (TOMORROW + timedelta(days=6)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5], "start_time": "09:00", "end_time": "10:00", "slot_minutes": 30, **change}
    assert_error(doctor_client.post("/api/time-slots/bulk/", body), 400, fields=[field])
    assert not TimeSlot.objects.exists()


def test_admin_bulk_needs_doctor(admin_client):
    body = {"date_from": TOMORROW.isoformat(), "date_to": TOMORROW.isoformat(), "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "start_time": "09:00", "end_time": "10:00", "slot_minutes": 20}
    assert_error(admin_client.post("/api/time-slots/bulk/", body), 400, fields=["doctor"])
    doctor = DoctorProfileFactory()
    response = admin_client.post("/api/time-slots/bulk/", {**body, "doctor": doctor.id})
    assert response.status_code == 201 and len(response.json()["created"]) == 3
    assert TimeSlot.objects.filter(doctor=doctor).count() == 3


def test_doctor_availability(client_for):
    doctor = DoctorProfileFactory()
    free = TimeSlotFactory(doctor=doctor, date=TOMORROW, start_time=time(9, 0), end_time=time(9, 30))
    AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=TOMORROW, start_time=time(10, 0),
                                            end_time=time(10, 30)))
    TimeSlotFactory(doctor=doctor, date=TOMORROW + timedelta(days=1))
    client = client_for(Role.PATIENT)
    response = client.get(f"/api/doctor-availability/?doctor={doctor.id}&date={TOMORROW}")
    assert response.status_code == 200, response.content
    assert [s["id"] for s in response.json()["results"]] == [free.id]
    assert_error(client.get(f"/api/doctor-availability/?date={TOMORROW}"), 400, fields=["doctor"])
    assert_error(client.get(f"/api/doctor-availability/?doctor={doctor.id}"), 400, fields=["date"])
    assert_error(client.get(f"/api/doctor-availability/?doctor=999999&date={TOMORROW}"), 400, fields=["doctor"])


def test_slot_list_query_count_is_flat(doctor_client, django_assert_max_num_queries):
    TimeSlotFactory.create_batch(5)
    with django_assert_max_num_queries(3):
        doctor_client.get("/api/time-slots/")
    AppointmentFactory.create_batch(45)
    with django_assert_max_num_queries(3):
        response = doctor_client.get("/api/time-slots/?page_size=50")
    assert len(response.json()["results"]) == 50


def test_doctor_availability_honours_ordering_and_page_size(client_for):
    doctor = DoctorProfileFactory()
    early, late = (TimeSlotFactory(doctor=doctor, date=TOMORROW, start_time=time(hour, 0), end_time=time(hour, 30))
                   for hour in (9, 11))
    client = client_for(Role.PATIENT)
    url = f"/api/doctor-availability/?doctor={doctor.id}&date={TOMORROW}"
    assert [s["id"] for s in client.get(url).json()["results"]] == [early.id, late.id]
    response = client.get(f"{url}&ordering=-start_time&page_size=1")
    assert response.json()["count"] == 2
    assert [s["id"] for s in response.json()["results"]] == [late.id]


def test_bulk_on_the_last_representable_day_is_no_server_error(doctor_client):
    body = {"date_from": "9999-12-31", "date_to": "9999-12-31", "weekdays": [5], "start_time": "23:00",
            "end_time": "23:59", "slot_minutes": 30}
    response = doctor_client.post("/api/time-slots/bulk/", body)
    assert response.status_code == 201, response.content
    assert [s["start_time"] for s in response.json()["created"]] == ["23:00:00"]  # 23:30-00:00 does not fit
    assert TimeSlot.objects.filter(date="9999-12-31").count() == 1
