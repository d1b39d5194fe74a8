import datetime

import pytest
from django.utils import timezone

from accounts.choices import Role
from clinical.choices import AppointmentStatus
from core.testing import assert_error
from devices.models import Device
from monitoring.choices import AlertStatus
from spareparts.models import SparePartRequest
from tests.devices.helpers import count_queries
from tests.factories import PatientDoctorMappingFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory
from tests.factories.equipment import DeviceFactory, HospitalFactory, SparePartRequestFactory, WorkOrderFactory
from tests.factories.monitoring import AlertFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

YESTERDAY = lambda: timezone.localdate() - datetime.timedelta(days=1)  # noqa: E731


def dashboard(client):
    response = client.get("/api/dashboard/")
    assert response.status_code == 200, response.content
    return response.json()


def test_anonymous_gets_401(api_client):
    assert_error(api_client.get("/api/dashboard/"), 401, "not_authenticated")


def test_admin_counts(admin_client):
    HospitalFactory()
    device = DeviceFactory()  # a second hospital
    DeviceFactory(status="maintenance", hospital=device.hospital, room=device.room)
    WorkOrderFactory(device=device, due_date=YESTERDAY())
    WorkOrderFactory(device=device, status="in_progress")
    WorkOrderFactory(device=device, status="closed", completed_date=timezone.localdate(), due_date=YESTERDAY())
    SparePartRequestFactory(device=device)
    SparePartRequestFactory(device=device, status="approved", decided_at=timezone.now())
    body = dashboard(admin_client)
    assert body["role"] == "admin"
    assert body["counts"] == {
        "hospitals": 2,
        "devices_by_status": {"total": 2, "active": 1, "inactive": 0, "maintenance": 1, "decommissioned": 0},
        "work_orders_by_status": {"total": 3, "open": 1, "in_progress": 1, "closed": 1},
        "overdue_work_orders": 1,
        "pending_spare_parts": 1,
        "pm_due_this_week": 0, "pm_overdue": 0, "calibrations_overdue": 0, "warranties_expiring_30d": 0,
    }


def test_engineer_counts(client_for):
    engineer = UserFactory(engineer=True)
    device = DeviceFactory(assigned_engineer=engineer)
    DeviceFactory(assigned_engineer=engineer)
    DeviceFactory()
    WorkOrderFactory(device=device)
    WorkOrderFactory(device=device, due_date=YESTERDAY())
    WorkOrderFactory(device=device, status="in_progress", due_date=YESTERDAY())
    WorkOrderFactory(device=device, status="closed", completed_date=timezone.localdate())
    WorkOrderFactory()
    assert dashboard(client_for(engineer))["counts"] == {
        "assigned_devices": 2, "my_open_work_orders": 2, "my_in_progress_work_orders": 1,
        "my_overdue_work_orders": 2,
        "pm_due_this_week": 0, "pm_overdue": 0, "calibrations_overdue": 0, "warranties_expiring_30d": 0,
    }


def test_nurse_counts(client_for):
    nurse = UserFactory(nurse=True)
    WorkOrderFactory(created_by=nurse)
    WorkOrderFactory(created_by=nurse, status="in_progress")
    WorkOrderFactory(created_by=nurse, status="closed", completed_date=timezone.localdate())
    WorkOrderFactory()
    assert dashboard(client_for(nurse))["counts"] == {"my_open_work_orders": 1, "my_closed_work_orders": 1}


def test_doctor_counts_the_monitors_of_their_patients(client_for):
    doctor = UserFactory(doctor=True)
    mine = PatientFactory()
    PatientDoctorMappingFactory(patient=mine, doctor=doctor.doctor_profile)
    DeviceFactory(monitor=True, patient=mine)
    DeviceFactory(monitor=True, patient=PatientFactory())
    counts = dashboard(client_for(doctor))["counts"]
    assert counts["patient_monitors"] == 1


def test_doctor_counts_todays_and_upcoming_appointments_and_open_alerts(client_for):
    doctor = UserFactory(doctor=True)
    profile = doctor.doctor_profile
    today, tomorrow = timezone.localdate(), timezone.localdate() + datetime.timedelta(days=1)
    late = datetime.time(23, 58)
    AppointmentFactory(slot=TimeSlotFactory(doctor=profile, date=today, start_time=late,
                                            end_time=datetime.time(23, 59)))
    AppointmentFactory(slot=TimeSlotFactory(doctor=profile, date=today, start_time=datetime.time(0, 0),
                                            end_time=datetime.time(0, 1)), status=AppointmentStatus.COMPLETED)
    AppointmentFactory(slot=TimeSlotFactory(doctor=profile, date=today, start_time=datetime.time(0, 2),
                                            end_time=datetime.time(0, 3)), status=AppointmentStatus.CANCELLED)
    upcoming = AppointmentFactory(slot=TimeSlotFactory(doctor=profile, date=tomorrow))
    AppointmentFactory(slot=TimeSlotFactory(date=tomorrow))  # another doctor's
    PatientDoctorMappingFactory(patient=upcoming.patient, doctor=profile)
    AlertFactory(patient=upcoming.patient, severity="critical")
    AlertFactory(patient=upcoming.patient, kind="bradycardia", status=AlertStatus.ACKNOWLEDGED)
    AlertFactory()  # someone else's patient
    counts = dashboard(client_for(doctor))["counts"]
    assert counts["todays_appointments"] == 2
    later_today = 1 if timezone.localtime().time() < late else 0  # the 23:58 slot, unless it has begun
    assert counts["upcoming_appointments"] == 1 + later_today
    assert (counts["open_alerts"], counts["critical_open_alerts"]) == (1, 1)


def test_patient_gets_empty_counts_and_no_activity(client_for):
    WorkOrderFactory()
    body = dashboard(client_for(Role.PATIENT))
    assert body == {"role": "patient", "counts": {}, "recent_activity": []}


def test_recent_activity_is_the_ten_newest_events_the_caller_may_see(client_for):
    nurse = UserFactory(nurse=True)
    now = timezone.now()
    orders = [WorkOrderFactory(created_by=nurse) for _ in range(7)]
    for age, order in enumerate(orders):
        stamp = now - datetime.timedelta(hours=10 + age)
        WorkOrder.objects.filter(pk=order.pk).update(created_at=stamp, updated_at=stamp)
    # The oldest one was edited a minute ago: its update is the newest event, its creation is old.
    edited = orders[-1]
    WorkOrder.objects.filter(pk=edited.pk).update(updated_at=now - datetime.timedelta(minutes=1))
    WorkOrderFactory()  # reported by somebody else: invisible to this nurse
    SparePartRequestFactory()  # nurses see no spare-part requests

    activity = dashboard(client_for(nurse))["recent_activity"]
    assert len(activity) == 8  # 7 creations + 1 update, everything this nurse may see
    assert (activity[0]["id"], activity[0]["event"]) == (edited.id, "updated")
    assert {event["id"] for event in activity} == {order.id for order in orders}
    assert [event["at"] for event in activity] == sorted((event["at"] for event in activity), reverse=True)
    assert all(event["type"] == "work_order" for event in activity)


def test_recent_activity_mixes_kinds_and_stops_at_ten(admin_client):
    now = timezone.now()
    for hours in range(8):
        order = WorkOrderFactory()
        WorkOrder.objects.filter(pk=order.pk).update(created_at=now - datetime.timedelta(hours=hours),
                                                     updated_at=now - datetime.timedelta(hours=hours))
        part = SparePartRequestFactory()
        stamp = now - datetime.timedelta(hours=hours, minutes=30)
        SparePartRequest.objects.filter(pk=part.pk).update(created_at=stamp, updated_at=stamp)
    activity = dashboard(admin_client)["recent_activity"]
    assert len(activity) == 10
    assert [event["type"] for event in activity[:2]] == ["work_order", "spare_part_request"]
    assert {"id", "number", "status", "device", "device_name", "event", "at", "type"} <= set(activity[0])


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ENGINEER, Role.NURSE, Role.DOCTOR])
def test_dashboard_query_count_does_not_grow_with_data(client_for, role, django_assert_max_num_queries):
    user = UserFactory(**{role.value: True})
    client = client_for(user)
    few, _ = count_queries(lambda: dashboard(client))
    for _ in range(15):
        device = DeviceFactory(assigned_engineer=user if role == Role.ENGINEER else None)
        WorkOrderFactory(device=device, created_by=user if role == Role.NURSE else None)
        SparePartRequestFactory(device=device)
    assert Device.objects.count() == 15
    with django_assert_max_num_queries(few):
        dashboard(client)
    assert few <= 8


# --- preventive maintenance, calibration and warranty -------------------------------------------

MAINTENANCE_KEYS = ("pm_due_this_week", "pm_overdue", "calibrations_overdue", "warranties_expiring_30d")


def _in_days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def maintenance_world():
    """An engineer's devices and PM work orders around the dashboard's windows, and the same again
    for somebody else (which only the admin counts)."""
    engineer = UserFactory(engineer=True)
    other_engineer = UserFactory(engineer=True)
    for owner in (engineer, other_engineer):
        device = DeviceFactory(assigned_engineer=owner, last_calibration_date=_in_days(-400),
                               next_calibration_due=_in_days(-1), warranty_expires=_in_days(30))
        DeviceFactory(assigned_engineer=owner, next_calibration_due=_in_days(-90),  # overdue, never calibrated
                      warranty_expires=_in_days(0))
        DeviceFactory(assigned_engineer=owner, next_calibration_due=_in_days(0), warranty_expires=_in_days(31))
        DeviceFactory(assigned_engineer=owner, status="decommissioned", next_calibration_due=_in_days(-5),
                      warranty_expires=_in_days(3))  # out of service for good: not counted
        DeviceFactory(assigned_engineer=owner, warranty_expires=_in_days(-1))  # already expired
        pm = {"device": device, "work_type": "PM", "assigned_to": owner}
        WorkOrderFactory(**pm, due_date=_in_days(0))
        WorkOrderFactory(**pm, due_date=_in_days(6), status="in_progress")
        WorkOrderFactory(**pm, due_date=_in_days(7))  # next week
        WorkOrderFactory(**pm, due_date=_in_days(3), status="closed", completed_date=_in_days(0))
        WorkOrderFactory(**pm, due_date=_in_days(-1))  # overdue
        WorkOrderFactory(**pm, due_date=_in_days(-20), status="in_progress")  # overdue
        WorkOrderFactory(**pm, due_date=_in_days(-2), status="closed", completed_date=_in_days(-1))
        WorkOrderFactory(device=device, assigned_to=owner, due_date=_in_days(2))  # corrective: not PM
        WorkOrderFactory(device=device, assigned_to=owner, due_date=_in_days(-2))  # corrective, overdue
    return engineer


def test_admin_counts_pm_calibration_and_warranty_everywhere(admin_client, maintenance_world):
    counts = dashboard(admin_client)["counts"]
    assert {key: counts[key] for key in MAINTENANCE_KEYS} == {
        "pm_due_this_week": 4, "pm_overdue": 4, "calibrations_overdue": 4, "warranties_expiring_30d": 4}
    assert counts["overdue_work_orders"] == 6  # the PM ones are among them


def test_engineer_counts_pm_calibration_and_warranty_of_their_own(client_for, maintenance_world):
    counts = dashboard(client_for(maintenance_world))["counts"]
    assert {key: counts[key] for key in MAINTENANCE_KEYS} == {
        "pm_due_this_week": 2, "pm_overdue": 2, "calibrations_overdue": 2, "warranties_expiring_30d": 2}
    assert counts["assigned_devices"] == 5


def test_engineer_counts_the_pm_work_orders_assigned_to_them_on_any_device(client_for):
    engineer = UserFactory(engineer=True)
    WorkOrderFactory(work_type="PM", assigned_to=engineer, due_date=_in_days(1))  # someone else's device
    counts = dashboard(client_for(engineer))["counts"]
    assert (counts["pm_due_this_week"], counts["assigned_devices"]) == (1, 0)


@pytest.mark.parametrize("role, queries", [(Role.ADMIN, 6), (Role.ENGINEER, 4)])
def test_maintenance_counts_add_no_query(client_for, maintenance_world, role, queries,
                                         django_assert_num_queries):
    client = client_for(maintenance_world if role == Role.ENGINEER else role)
    # authentication (1), the counts (admin: hospitals, devices, work orders, spare parts; engineer:
    # devices, work orders), recent activity (2): the new counts ride on the existing aggregates.
    with django_assert_num_queries(queries + 1):
        dashboard(client)
