from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from clinical.choices import AppointmentStatus
from clinical.models import Appointment, AppointmentHistory
from core.testing import assert_error
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, PatientFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

S = AppointmentStatus
TODAY = timezone.localdate()


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- Booking ---------------------------------------------------------------------------------

def test_patient_books_for_themself_omitting_patient(patient_client):
    slot = TimeSlotFactory()
    response = patient_client.post("/api/appointments/", {"slot": slot.id, "reason": "Cough"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "scheduled" and body["doctor"] == slot.doctor_id
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.patient == patient_client.user.patient_record and appointment.reason == "Cough"
    assert list(appointment.history.values_list("to_status", "to_slot")) == [("scheduled", slot.id)]


def test_patient_cannot_book_for_someone_else(patient_client, other_patient):
    response = patient_client.post("/api/appointments/", {"slot": TimeSlotFactory().id, "patient": other_patient.id})
    assert_error(response, 400, fields=["patient"])
    assert not Appointment.objects.exists()


def test_nurse_books_for_department_patients_only(nurse_client, department):
    mine = PatientFactory(department=department)
    theirs = PatientFactory(department=DepartmentFactory(name="Other"))
    assert nurse_client.post("/api/appointments/", {"slot": TimeSlotFactory().id, "patient": mine.id}) \
        .status_code == 201
    assert_error(nurse_client.post("/api/appointments/", {"slot": TimeSlotFactory().id, "patient": theirs.id}),
                 400, fields=["patient"])
    assert list(Appointment.objects.values_list("patient", flat=True)) == [mine.id]


def test_doctor_books_for_patients_in_scope(doctor_client):
    doctor = doctor_client.user.doctor_profile
    mapped = PatientDoctorMappingFactory(doctor=doctor).patient
    stranger = PatientFactory()
    slot = TimeSlotFactory(doctor=doctor)
    assert doctor_client.post("/api/appointments/", {"slot": slot.id, "patient": mapped.id}).status_code == 201
    assert_error(doctor_client.post("/api/appointments/", {"slot": TimeSlotFactory(doctor=doctor).id,
                                                           "patient": stranger.id}), 400, fields=["patient"])
    assert_error(doctor_client.post("/api/appointments/", {"slot": TimeSlotFactory(doctor=doctor).id}), 400,
                 fields=["patient"])
    assert Appointment.objects.count() == 1


def test_engineer_cannot_book_or_list(engineer_client):
    assert_error(engineer_client.post("/api/appointments/", {"slot": TimeSlotFactory().id,
                                                             "patient": PatientFactory().id}), 403)
    assert_error(engineer_client.get("/api/appointments/"), 403)
    assert not Appointment.objects.exists()


def test_taken_slot_answers_409_slot_taken(admin_client):
    taken = AppointmentFactory()
    response = admin_client.post("/api/appointments/", {"slot": taken.slot_id, "patient": PatientFactory().id})
    assert_error(response, 409, "slot_taken")
    assert Appointment.objects.count() == 1


def test_cancelled_appointment_frees_the_slot_for_booking(admin_client):
    cancelled = AppointmentFactory(status=S.CANCELLED)
    response = admin_client.post("/api/appointments/", {"slot": cancelled.slot_id, "patient": PatientFactory().id})
    assert response.status_code == 201, response.content
    assert Appointment.objects.filter(slot=cancelled.slot).count() == 2


def test_slot_in_the_past_is_refused(admin_client):
    past = TimeSlotFactory(date=TODAY - timedelta(days=1))
    assert_error(admin_client.post("/api/appointments/", {"slot": past.id, "patient": PatientFactory().id}),
                 400, fields=["slot"])
    assert_error(admin_client.post("/api/appointments/", {"slot": 999999, "patient": PatientFactory().id}),
                 400, fields=["slot"])
    assert not Appointment.objects.exists()


# --- Scoping ---------------------------------------------------------------------------------

def test_list_scoping(admin_client, doctor_client, nurse_client, patient_client, department):
    for_doctor = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile))
    for_patient = AppointmentFactory(patient=patient_client.user.patient_record)
    for_dept = AppointmentFactory(patient=PatientFactory(department=department))
    assert set(_ids(admin_client.get("/api/appointments/"))) == {for_doctor.id, for_patient.id, for_dept.id}
    assert _ids(doctor_client.get("/api/appointments/")) == [for_doctor.id]
    assert _ids(patient_client.get("/api/appointments/")) == [for_patient.id]
    assert _ids(nurse_client.get("/api/appointments/")) == [for_dept.id]


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.PATIENT])
def test_out_of_scope_appointment_is_404(clients, role):
    appointment = AppointmentFactory()
    client = clients[role]
    for path in ("", "history/"):
        assert_error(client.get(f"/api/appointments/{appointment.id}/{path}"), 404)
    for path in ("cancel/", "reschedule/"):
        if role != Role.NURSE:
            assert_error(client.post(f"/api/appointments/{appointment.id}/{path}", {"slot": TimeSlotFactory().id}),
                         404)
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED


def test_filters(admin_client):
    doctor_slot = TimeSlotFactory(date=TODAY + timedelta(days=3))
    wanted = AppointmentFactory(slot=doctor_slot, status=S.CONFIRMED)
    AppointmentFactory(status=S.SCHEDULED)
    assert _ids(admin_client.get("/api/appointments/?status=confirmed")) == [wanted.id]
    assert _ids(admin_client.get(f"/api/appointments/?doctor={wanted.doctor_id}")) == [wanted.id]
    assert _ids(admin_client.get(f"/api/appointments/?patient={wanted.patient_id}")) == [wanted.id]
    day = doctor_slot.date.isoformat()
    assert _ids(admin_client.get(f"/api/appointments/?date_from={day}&date_to={day}")) == [wanted.id]
    assert_error(admin_client.get("/api/appointments/?status=lost"), 400, fields=["status"])


# --- Transitions -----------------------------------------------------------------------------

ROUTE_ROLES = {
    "confirm": {Role.ADMIN, Role.DOCTOR},
    "cancel": {Role.ADMIN, Role.DOCTOR, Role.PATIENT},
    "no-show": {Role.ADMIN, Role.DOCTOR},
    "complete": {Role.DOCTOR},
    "reschedule": {Role.ADMIN, Role.DOCTOR, Role.PATIENT},
}


@pytest.mark.parametrize("route", list(ROUTE_ROLES))
@pytest.mark.parametrize("role", list(Role))
def test_transition_role_matrix(clients, department, route, role):
    """Allowed roles get past the permission check (own appointment); the others get 403."""
    doctor = clients[Role.DOCTOR].user.doctor_profile
    patient = clients[Role.PATIENT].user.patient_record
    patient.department = department
    patient.save()
    start = S.IN_PROGRESS if route == "complete" else S.SCHEDULED
    # A no-show needs a slot that has started (yesterday's); the other routes a future one.
    day = TODAY - timedelta(days=1) if route == "no-show" else TODAY + timedelta(days=30)
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor, date=day), patient=patient, status=start)
    body = {"slot": TimeSlotFactory(doctor=doctor).id} if route == "reschedule" else {}
    response = clients[role].post(f"/api/appointments/{appointment.id}/{route}/", body)
    if role in ROUTE_ROLES[route]:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, 403, "permission_denied")
        appointment.refresh_from_db()
        assert appointment.status == start


def test_full_lifecycle_is_recorded_in_history(doctor_client):
    doctor = doctor_client.user.doctor_profile
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor))
    consultation = ConsultationFactory(appointment=appointment)
    base = f"/api/appointments/{appointment.id}"
    assert doctor_client.post(f"{base}/confirm/").json()["status"] == "confirmed"
    assert doctor_client.post(f"/api/consultations/{consultation.id}/start/").status_code == 200
    assert doctor_client.post(f"{base}/complete/").json()["status"] == "completed"
    consultation.refresh_from_db()
    assert consultation.status == "completed" and consultation.completed_at is not None
    history = doctor_client.get(f"{base}/history/").json()["results"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        ("", "scheduled"), ("scheduled", "confirmed"), ("confirmed", "in_progress"), ("in_progress", "completed")]
    assert history[1]["changed_by"] == doctor_client.user.id


@pytest.mark.parametrize("start, route", [
    (S.CONFIRMED, "confirm"), (S.COMPLETED, "confirm"), (S.CANCELLED, "cancel"), (S.NO_SHOW, "cancel"),
    (S.COMPLETED, "cancel"), (S.IN_PROGRESS, "no-show"), (S.SCHEDULED, "complete"), (S.CONFIRMED, "complete"),
    (S.CANCELLED, "no-show"),
])
def test_illegal_transitions_are_409_and_change_nothing(doctor_client, start, route):
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile), status=start)
    assert_error(doctor_client.post(f"/api/appointments/{appointment.id}/{route}/"), 409, "invalid_transition")
    appointment.refresh_from_db()
    assert appointment.status == start and appointment.history.count() == 1


def test_cancel_records_reason_and_frees_slot(patient_client):
    appointment = AppointmentFactory(patient=patient_client.user.patient_record)
    response = patient_client.post(f"/api/appointments/{appointment.id}/cancel/", {"reason": "Travelling"})
    assert response.status_code == 200 and response.json()["cancel_reason"] == "Travelling"
    assert AppointmentHistory.objects.filter(appointment=appointment, to_status="cancelled",
                                             note="Travelling").exists()
    free = patient_client.get(f"/api/time-slots/?available=true&doctor={appointment.doctor_id}").json()["results"]
    assert [s["id"] for s in free] == [appointment.slot_id]


def test_reschedule_moves_and_frees_old_slot(patient_client, admin_client):
    appointment = AppointmentFactory(patient=patient_client.user.patient_record, status=S.CONFIRMED)
    old_slot = appointment.slot
    new_slot = TimeSlotFactory(doctor=appointment.doctor)
    response = patient_client.post(f"/api/appointments/{appointment.id}/reschedule/", {"slot": new_slot.id})
    assert response.status_code == 200, response.content
    assert response.json()["slot"] == new_slot.id and response.json()["status"] == "scheduled"
    last = appointment.history.last()
    assert (last.from_slot_id, last.to_slot_id, last.from_status) == (old_slot.id, new_slot.id, "confirmed")
    # The old slot is free again: someone else can book it.
    other = admin_client.post("/api/appointments/", {"slot": old_slot.id, "patient": PatientFactory().id})
    assert other.status_code == 201, other.content


def test_reschedule_refusals(doctor_client):
    doctor = doctor_client.user.doctor_profile
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor))
    taken = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor)).slot
    url = f"/api/appointments/{appointment.id}/reschedule/"
    assert_error(doctor_client.post(url, {"slot": TimeSlotFactory().id}), 400, fields=["slot"])
    assert_error(doctor_client.post(url, {"slot": appointment.slot_id}), 400, fields=["slot"])
    assert_error(doctor_client.post(url, {"slot": TimeSlotFactory(doctor=doctor, date=TODAY - timedelta(days=2)).id}),
                 400, fields=["slot"])
    assert_error(doctor_client.post(url, {}), 400, fields=["slot"])
    assert_error(doctor_client.post(url, {"slot": taken.id}), 409, "slot_taken")
    original = appointment.slot_id
    appointment.refresh_from_db()
    assert appointment.slot_id == original and appointment.history.count() == 1
    Appointment.objects.filter(pk=appointment.pk).update(status=S.COMPLETED)
    assert_error(doctor_client.post(url, {"slot": TimeSlotFactory(doctor=doctor).id}), 409, "invalid_transition")


# --- Today, upcoming, statistics ---------------------------------------------------------------

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
    AppointmentFactory.create_batch(30)
    with django_assert_max_num_queries(5):
        response = admin_client.get(f"/api/appointments/statistics/?date_from={TODAY}"
                                    f"&date_to={TODAY + timedelta(days=200)}")
    assert response.json()["total"] == 30


def test_appointment_list_query_count_is_flat(admin_client, django_assert_max_num_queries):
    AppointmentFactory.create_batch(5)
    with django_assert_max_num_queries(3):
        admin_client.get("/api/appointments/")
    AppointmentFactory.create_batch(45)
    with django_assert_max_num_queries(3):
        response = admin_client.get("/api/appointments/?page_size=50")
    assert len(response.json()["results"]) == 50


def test_doctor_books_a_colleagues_slot_for_their_patient(doctor_client):
    doctor = doctor_client.user.doctor_profile
    mapped = PatientDoctorMappingFactory(doctor=doctor).patient
    colleague_slot = TimeSlotFactory()
    response = doctor_client.post("/api/appointments/", {"slot": colleague_slot.id, "patient": mapped.id})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["doctor"] == colleague_slot.doctor_id and body["patient"] == mapped.id
    stored = Appointment.objects.get(pk=body["id"])
    assert (stored.doctor_id, stored.slot_id, stored.created_by) == (colleague_slot.doctor_id, colleague_slot.id,
                                                                      doctor_client.user)


@pytest.mark.parametrize("route", ["/api/appointments/", "/api/mappings/"])
def test_patient_filter_is_no_existence_oracle(doctor_client, other_patient, route):
    outside = doctor_client.get(f"{route}?patient={other_patient.id}")
    missing = doctor_client.get(f"{route}?patient=999999")
    assert_error(outside, 400, fields=["patient"])
    assert outside.json() == missing.json()


def test_patient_filter_in_scope(doctor_client):
    doctor = doctor_client.user.doctor_profile
    mine = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor))
    AppointmentFactory(slot=TimeSlotFactory(doctor=doctor))
    assert _ids(doctor_client.get(f"/api/appointments/?patient={mine.patient_id}")) == [mine.id]


def test_booking_may_name_the_slots_doctor_but_no_other(admin_client):
    slot, patient = TimeSlotFactory(), PatientFactory()
    other = TimeSlotFactory().doctor
    assert_error(admin_client.post("/api/appointments/", {"slot": slot.id, "patient": patient.id,
                                                          "doctor": other.id}), 400, fields=["doctor"])
    assert not Appointment.objects.exists()
    response = admin_client.post("/api/appointments/", {"slot": slot.id, "patient": patient.id,
                                                        "doctor": slot.doctor_id, "reason": "Check"})
    assert response.status_code == 201, response.content
    assert Appointment.objects.get().doctor_id == slot.doctor_id
