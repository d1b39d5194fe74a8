"""Device input rules from the black-box review: the downtime's cause must be an open corrective
work order; `reason` on PATCH goes with a status change; the dates have sane ranges (API and Django
admin); `?calibration_state=` filters on the field's own SQL."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from devices.dates import years_after
from devices.models import Device, DowntimePeriod
from tests.devices.helpers import ids
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from workorders.choices import WorkOrderStatus, WorkType

pytestmark = pytest.mark.django_db


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def change_status(world, body, role=Role.ENGINEER):
    return world.clients[role].post(f"/api/devices/{world.device.id}/change-status/", body, format="json")


# --- change-status: the cause of a downtime -----------------------------------------------------
@pytest.mark.parametrize("kind, fragment", [("pm", "not corrective"), ("closed", "closed")])
def test_a_pm_or_closed_work_order_cannot_be_the_cause(world, kind, fragment):
    if kind == "pm":
        cause = WorkOrderFactory(device=world.device, work_type=WorkType.PREVENTIVE)
    else:
        cause = WorkOrderFactory(device=world.device, status=WorkOrderStatus.CLOSED,
                                 completed_date=timezone.localdate())
    response = change_status(world, {"status": "maintenance", "work_order": cause.id})
    body = assert_error(response, 400, fields=["work_order"])
    assert fragment in body["errors"]["work_order"][0] and cause.work_number in body["errors"]["work_order"][0]
    world.device.refresh_from_db()
    assert world.device.status == "active" and not DowntimePeriod.objects.exists()


def test_an_open_corrective_work_order_is_the_cause(world):
    cause = WorkOrderFactory(device=world.device, status=WorkOrderStatus.IN_PROGRESS)
    response = change_status(world, {"status": "maintenance", "work_order": cause.id})
    assert response.status_code == 200, response.content
    assert DowntimePeriod.objects.get().work_order == cause


# --- PATCH with a reason --------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.ADMIN, Role.ENGINEER])
def test_patch_with_a_status_change_keeps_the_reason_on_the_downtime(world, role):
    response = world.clients[role].patch(f"/api/devices/{world.device.id}/",
                                         {"status": "maintenance", "reason": "Cracked housing"}, format="json")
    assert response.status_code == 200, response.content
    period = DowntimePeriod.objects.get(device=world.device)
    assert (period.status, period.reason) == ("maintenance", "Cracked housing")


@pytest.mark.parametrize("body", [{"reason": "Why"}, {"status": "active", "reason": "Why"}])
def test_a_reason_without_a_status_change_is_a_400(world, body):
    """Also back to active from out of service: a reason describes a stop."""
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/", {**body, "notes": "n"},
                                               format="json")
    assert_error(response, 400, fields=["reason"])
    world.device.refresh_from_db()
    assert world.device.notes != "n" and not DowntimePeriod.objects.exists()


def test_a_reason_with_a_return_to_active_is_a_400(world):
    world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/", {"status": "maintenance"}, format="json")
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/",
                                               {"status": "active", "reason": "Fixed"}, format="json")
    assert_error(response, 400, fields=["reason"])
    world.device.refresh_from_db()
    assert world.device.status == "maintenance" and DowntimePeriod.objects.get().ended_at is None


@pytest.mark.parametrize("reason", [123, "x" * 201])
def test_a_reason_is_a_short_string(world, reason):
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/",
                                               {"status": "maintenance", "reason": reason}, format="json")
    assert_error(response, 400, fields=["reason"])
    world.device.refresh_from_db()
    assert world.device.status == "active"


def test_a_device_created_out_of_service_keeps_the_reason(admin_client):
    base = DeviceFactory()
    response = admin_client.post("/api/devices/", {"asset_number": "AST-NEW", "name": "Pump", "status": "inactive",
                                                   "hospital": base.hospital_id, "reason": "Awaiting acceptance test"},
                                 format="json")
    assert response.status_code == 201, response.content
    assert DowntimePeriod.objects.get(device_id=response.json()["id"]).reason == "Awaiting acceptance test"


# --- date ranges ----------------------------------------------------------------------------------
def _too_far(years):
    return years_after(timezone.localdate(), years) + datetime.timedelta(days=1)


@pytest.mark.parametrize("field, value, fragment", [
    ("last_calibration_date", days(1), "future"),
    ("last_inventory_date", days(1), "future"),
    ("next_calibration_due", _too_far(10), "10 years"),
    ("warranty_expires", _too_far(50), "50 years"),
])
def test_a_date_out_of_range_is_a_400_naming_it(world, field, value, fragment):
    admin = world.clients[Role.ADMIN]
    response = admin.patch(f"/api/devices/{world.device.id}/", {field: value.isoformat(), "notes": "n"},
                           format="json")
    body = assert_error(response, 400, fields=[field])
    assert fragment in body["errors"][field][0]
    world.device.refresh_from_db()
    assert getattr(world.device, field) != value and world.device.notes != "n"
    count = Device.objects.count()
    response = admin.post("/api/devices/", {"asset_number": "AST-DATE", "name": "Pump",
                                            "hospital": world.device.hospital_id, field: value.isoformat()},
                          format="json")
    assert_error(response, 400, fields=[field])
    assert Device.objects.count() == count


def test_dates_at_their_bounds_are_accepted(world):
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/", {
        "last_calibration_date": days(0).isoformat(), "last_inventory_date": days(0).isoformat(),
        "next_calibration_due": years_after(timezone.localdate(), 10).isoformat(),
        "warranty_expires": years_after(timezone.localdate(), 50).isoformat()}, format="json")
    assert response.status_code == 200, response.content


def test_every_bad_date_is_named_at_once(world):
    response = world.clients[Role.ADMIN].patch(f"/api/devices/{world.device.id}/", {
        "last_calibration_date": days(5).isoformat(), "warranty_expires": _too_far(50).isoformat(),
        "bogus": 1}, format="json")
    assert_error(response, 400, fields=["last_calibration_date", "warranty_expires", "bogus"])


def test_django_admin_refuses_a_future_calibration_date():
    device = DeviceFactory()
    client = Client()
    client.force_login(UserFactory(admin=True, is_superuser=True))
    url = f"/admin/devices/device/{device.pk}/change/"
    form = {"asset_number": device.asset_number, "serial_number": "", "name": device.name, "model": "",
            "manufacturer": "", "category": device.category, "hospital": device.hospital_id,
            "room": device.room_id or "", "assigned_engineer": "", "last_inventory_date": "",
            "warranty_expires": "", "last_calibration_date": days(3).isoformat(), "next_calibration_due": "",
            "notes": ""}
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with the error
    assert "cannot be in the future" in response.content.decode()
    device.refresh_from_db()
    assert device.last_calibration_date is None


# --- ?calibration_state= ----------------------------------------------------------------------------
def test_calibration_state_filter(admin_client):
    calibrated = DeviceFactory(last_calibration_date=days(-10), next_calibration_due=days(300))
    required = DeviceFactory(last_calibration_date=days(-400), next_calibration_due=days(-1))
    never = DeviceFactory()
    for state, expected in [("calibrated", [calibrated]), ("calibration_required", [required]),
                            ("not_calibrated", [never])]:
        response = admin_client.get(f"/api/devices/?calibration_state={state}")
        assert ids(response) == [device.id for device in expected], state
        assert {item["calibration_state"] for item in response.json()["results"]} == {state}
    assert_error(admin_client.get("/api/devices/?calibration_state=overdue"), 400, fields=["calibration_state"])
