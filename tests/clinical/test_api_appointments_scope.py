"""Which appointments each role sees: list scoping, 404 outside scope, filters, flat list queries."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import Role
from clinical.choices import AppointmentStatus
from core.testing import assert_error
from tests.factories import PatientFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

S = AppointmentStatus
TODAY = timezone.localdate()


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


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


def test_appointment_list_query_count_is_flat(admin_client, django_assert_max_num_queries):
    AppointmentFactory.create_batch(5)
    with django_assert_max_num_queries(4):  # + the one INSERT of the read entries (audit.reads)
        admin_client.get("/api/appointments/")
    AppointmentFactory.create_batch(45)
    with django_assert_max_num_queries(4):  # + the one INSERT of the read entries (audit.reads)
        response = admin_client.get("/api/appointments/?page_size=50")
    assert len(response.json()["results"]) == 50
