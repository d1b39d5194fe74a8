"""Only approved, active doctors are listed, get slots and are booked; a doctor's department is the user's."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import ApprovalStatus, Role
from clinical.models import Appointment, PatientDoctorMapping, TimeSlot
from core.testing import assert_error
from tests.factories import DepartmentFactory, DoctorProfileFactory, PatientFactory
from tests.factories.clinical import TimeSlotFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
TOMORROW = TODAY + timedelta(days=1)


def _pending_doctor():
    return DoctorProfileFactory(user__approval_status=ApprovalStatus.PENDING, user__is_active=False)


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Pending and inactive doctors ----------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.ENGINEER, Role.PATIENT])
def test_non_admins_see_only_practising_doctors(clients, role):
    practising, pending = DoctorProfileFactory(), _pending_doctor()
    inactive = DoctorProfileFactory(user__is_active=False)
    ids = _ids(clients[role].get("/api/doctors/?page_size=100"))
    assert practising.id in ids and not ids & {pending.id, inactive.id}
    assert_error(clients[role].get(f"/api/doctors/{pending.id}/"), 404, "not_found")


def test_admin_sees_every_doctor_and_filters_pending(admin_client):
    practising, pending = DoctorProfileFactory(), _pending_doctor()
    assert {practising.id, pending.id} <= _ids(admin_client.get("/api/doctors/?page_size=100"))
    assert _ids(admin_client.get("/api/doctors/?approval_status=pending")) == {pending.id}
    assert practising.id not in _ids(admin_client.get("/api/doctors/?is_active=false"))
    assert admin_client.get(f"/api/doctors/{pending.id}/").json()["medical_license_number"] \
        == pending.medical_license_number


@pytest.mark.parametrize("doctor_kind", ["pending", "inactive"])
def test_admin_cannot_give_slots_to_a_doctor_who_is_not_practising(admin_client, doctor_kind):
    doctor = _pending_doctor() if doctor_kind == "pending" else DoctorProfileFactory(user__is_active=False)
    response = admin_client.post("/api/time-slots/", {"doctor": doctor.id, "date": TOMORROW.isoformat(),
                                                      "start_time": "09:00", "end_time": "09:30"})
    assert_error(response, 400, "validation_error", ["doctor"])
    assert "approved" in response.json()["errors"]["doctor"][0]
    bulk = admin_client.post("/api/time-slots/bulk/", {
        "doctor": doctor.id, "date_from": TOMORROW.isoformat(), "date_to": TOMORROW.isoformat(),
        "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "09:00", "end_time": "10:00", "slot_minutes": 30})
    assert_error(bulk, 400, "validation_error", ["doctor"])
    assert not TimeSlot.objects.exists()


def test_write_serializers_offer_only_practising_doctors(admin_client):
    practising, pending = DoctorProfileFactory(), _pending_doctor()
    choices = admin_client.options("/api/time-slots/").json()
    offered = {str(c["value"]) for c in choices.get("actions", {}).get("POST", {}).get("doctor", {}).get(
        "choices", [])}
    if offered:  # OPTIONS lists related choices when the metadata class does
        assert str(practising.id) in offered and str(pending.id) not in offered
    response = admin_client.post("/api/mappings/", {"patient": PatientFactory().id, "doctor": pending.id})
    assert_error(response, 400, "validation_error", ["doctor"])
    assert not PatientDoctorMapping.objects.filter(doctor=pending).exists()


def test_booking_a_slot_of_a_doctor_who_is_not_practising_is_refused(admin_client, patient_client):
    slot = TimeSlotFactory()  # made while the doctor was active
    user = slot.doctor.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(patient_client.post("/api/appointments/", {"slot": slot.id}), 400, "validation_error", ["slot"])
    assert_error(admin_client.post("/api/appointments/", {"slot": slot.id, "patient": PatientFactory().id}),
                 400, fields=["slot"])
    assert_error(patient_client.get(f"/api/doctor-availability/?doctor={slot.doctor_id}&date={slot.date}"),
                 400, fields=["doctor"])
    assert not Appointment.objects.exists()


# --- One department ------------------------------------------------------------------------------

def test_doctor_department_is_the_users(admin_client):
    cardiology, neurology = DepartmentFactory(name="Cardiology"), DepartmentFactory(name="Neurology")
    profile = DoctorProfileFactory(user__department=cardiology)
    body = admin_client.get(f"/api/doctors/{profile.id}/").json()
    assert (body["department"], body["department_name"]) == (cardiology.id, "Cardiology")
    # The admin changes the user's department: the profile shows it.
    assert admin_client.patch(f"/api/users/{profile.user_id}/", {"department": neurology.id},
                              format="json").status_code == 200
    assert admin_client.get(f"/api/doctors/{profile.id}/").json()["department"] == neurology.id
    # The doctor route writes the user's department.
    assert admin_client.patch(f"/api/doctors/{profile.id}/", {"department": cardiology.id},
                              format="json").status_code == 200
    profile.user.refresh_from_db()
    assert profile.user.department == cardiology
    assert admin_client.get(f"/api/users/{profile.user_id}/").json()["department"] == cardiology.id
    assert _ids(admin_client.get(f"/api/doctors/?department={cardiology.id}")) == {profile.id}
    assert _ids(admin_client.get(f"/api/doctors/?department={neurology.id}")) == set()


def test_admin_creates_profile_with_department_on_the_user(admin_client, department):
    from tests.factories import UserFactory

    user = UserFactory(role=Role.DOCTOR)
    response = admin_client.post("/api/doctors/", {"user": user.id, "medical_license_number": "LIC-D1",
                                                   "specialization": "Surgery", "department": department.id})
    assert response.status_code == 201, response.content
    assert response.json()["department_name"] == department.name
    user.refresh_from_db()
    assert user.department == department
