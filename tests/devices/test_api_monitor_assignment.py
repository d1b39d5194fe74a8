from types import SimpleNamespace

import pytest

from core.errors import Conflict
from core.testing import assert_error
from devices import services
from devices.models import Device
from tests.devices.helpers import run_concurrently
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, PatientFactory, UserFactory
from tests.factories.equipment import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(client_for):
    """A department with a nurse, a doctor caring for one of its patients, and a free active monitor
    assigned to nobody (the pool)."""
    department = DepartmentFactory()
    nurse = UserFactory(nurse=True, department=department)
    doctor = UserFactory(doctor=True)
    patient = PatientFactory(department=department)
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    free = DeviceFactory(monitor=True)
    return SimpleNamespace(nurse=nurse, doctor=doctor, patient=patient, free=free,
                           nurse_client=client_for(nurse), doctor_client=client_for(doctor))


def assign(client, device, patient_id):
    return client.post(f"/api/devices/{device.id}/assign/", {"patient": patient_id}, format="json")


@pytest.mark.parametrize("who", ["admin", "nurse", "doctor"])
def test_staff_assign_a_free_monitor_to_a_patient_they_see(ward, admin_client, who):
    client = {"admin": admin_client, "nurse": ward.nurse_client, "doctor": ward.doctor_client}[who]
    response = assign(client, ward.free, ward.patient.id)
    assert response.status_code == 200, response.content
    assert response.json()["patient"] == ward.patient.id
    ward.free.refresh_from_db()
    assert ward.free.patient == ward.patient


def test_after_assignment_the_doctor_sees_the_monitor(ward):
    assert ward.doctor_client.get("/api/devices/").json()["count"] == 0
    assign(ward.doctor_client, ward.free, ward.patient.id)
    assert [d["id"] for d in ward.doctor_client.get("/api/devices/").json()["results"]] == [ward.free.id]


def test_assigning_equipment_is_400_not_a_monitor(ward, admin_client):
    pump = DeviceFactory()
    assert_error(assign(admin_client, pump, ward.patient.id), 400, "not_a_monitor", fields=["device"])
    pump.refresh_from_db()
    assert pump.patient is None


def test_monitor_already_in_use_is_409(ward, admin_client):
    other_patient = PatientFactory()
    ward.free.patient = other_patient
    ward.free.save()
    assert_error(assign(admin_client, ward.free, ward.patient.id), 409, "monitor_in_use")
    ward.free.refresh_from_db()
    assert ward.free.patient == other_patient


def test_patient_that_already_has_a_monitor_is_409(ward, admin_client):
    DeviceFactory(monitor=True, patient=ward.patient)
    assert_error(assign(admin_client, ward.free, ward.patient.id), 409, "patient_has_monitor")
    ward.free.refresh_from_db()
    assert ward.free.patient is None


def test_inactive_monitor_cannot_be_assigned(ward, admin_client):
    Device.objects.filter(pk=ward.free.pk).update(status="maintenance")
    assert_error(assign(admin_client, ward.free, ward.patient.id), 409, "device_not_active")
    assert Device.objects.get(pk=ward.free.pk).patient is None


@pytest.mark.parametrize("patient", ["invisible", "missing", "archived", "absent"])
def test_patient_outside_the_callers_scope_is_400_naming_patient(ward, patient):
    patient_id = {
        "invisible": lambda: PatientFactory(department=DepartmentFactory()).id,
        "missing": lambda: 999999,
        "archived": lambda: PatientFactory(department=ward.nurse.department, is_archived=True).id,
        "absent": lambda: None,
    }[patient]()
    body = {} if patient_id is None else {"patient": patient_id}
    response = ward.nurse_client.post(f"/api/devices/{ward.free.id}/assign/", body, format="json")
    assert_error(response, 400, fields=["patient"])
    ward.free.refresh_from_db()
    assert ward.free.patient is None


def test_monitor_outside_scope_and_pool_is_404(ward):
    busy_elsewhere = DeviceFactory(monitor=True, patient=PatientFactory())
    broken = DeviceFactory(monitor=True, status="maintenance")
    assert_error(assign(ward.nurse_client, busy_elsewhere, ward.patient.id), 404)
    assert_error(assign(ward.doctor_client, broken, ward.patient.id), 404)
    assert Device.objects.get(pk=broken.pk).patient is None


def test_unassign_by_a_doctor_of_the_patient(ward):
    ward.free.patient = ward.patient
    ward.free.save()
    response = ward.doctor_client.post(f"/api/devices/{ward.free.id}/unassign/")
    assert response.status_code == 200 and response.json()["patient"] is None
    ward.free.refresh_from_db()
    assert ward.free.patient is None


def test_unassign_of_a_monitor_whose_patient_is_not_visible_is_404(ward):
    stranger = PatientFactory(department=DepartmentFactory())
    monitor = DeviceFactory(monitor=True, patient=stranger, assigned_nurses=[ward.nurse])
    assert_error(ward.nurse_client.post(f"/api/devices/{monitor.id}/unassign/"), 404)
    monitor.refresh_from_db()
    assert monitor.patient == stranger


def test_unassign_of_an_unassigned_monitor_is_409(ward, admin_client):
    assert_error(admin_client.post(f"/api/devices/{ward.free.id}/unassign/"), 409, "monitor_not_assigned")


def test_an_engineer_may_not_assign(ward, client_for):
    engineer_client = client_for(ward.free.assigned_engineer)
    assert_error(assign(engineer_client, ward.free, ward.patient.id), 403, "permission_denied")


@pytest.mark.django_db(transaction=True)
def test_ten_monitors_racing_for_one_patient_exactly_one_wins():
    admin = UserFactory(admin=True)
    patient = PatientFactory()
    monitors = DeviceFactory.create_batch(10, monitor=True)

    def attempt(index):
        try:
            services.device_assign_patient(device=monitors[index], patient=patient, by=admin)
        except Conflict as exc:
            return exc.get_codes()
        return "assigned"

    outcomes = run_concurrently(10, attempt)
    assert outcomes.count("assigned") == 1
    assert set(outcomes) - {"assigned"} == {"patient_has_monitor"}
    assert Device.objects.filter(patient=patient).count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_patients_racing_for_one_monitor_exactly_one_wins():
    admin = UserFactory(admin=True)
    patients = PatientFactory.create_batch(10)
    monitor = DeviceFactory(monitor=True)

    def attempt(index):
        try:
            services.device_assign_patient(device=monitor, patient=patients[index], by=admin)
        except Conflict as exc:
            return exc.get_codes()
        return patients[index].id

    outcomes = run_concurrently(10, attempt)
    winners = [outcome for outcome in outcomes if outcome != "monitor_in_use"]
    assert len(winners) == 1
    monitor.refresh_from_db()
    assert monitor.patient_id == winners[0]


@pytest.mark.parametrize("value", [1.5, "abc", True, None])
def test_patient_must_be_a_whole_id(ward, value):
    body = {"patient": ward.patient.id + 0.5 if value == 1.5 else value}
    response = ward.nurse_client.post(f"/api/devices/{ward.free.id}/assign/", body, format="json")
    assert_error(response, 400, fields=["patient"])
    ward.free.refresh_from_db()
    assert ward.free.patient is None
