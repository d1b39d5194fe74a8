"""Downtime: every status path (PATCH, change-status, Django admin action, system jobs) opens and
closes the device's downtime period through devices.services.device_set_status; the database keeps
one open period per device; GET /api/devices/{id}/downtime/ lists them, scoped like the device."""

import datetime

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from accounts.choices import Role
from core.db import constraint_errors
from core.errors import Conflict
from core.testing import assert_error, authenticated_client
from devices import downtime, services
from devices.choices import DeviceStatus
from devices.models import Device, DowntimePeriod
from tests.devices.helpers import count_queries, run_concurrently
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from workorders.choices import WorkOrderStatus, WorkType

pytestmark = pytest.mark.django_db


def _open(device):
    return DowntimePeriod.objects.get(device=device, ended_at__isnull=True)


def _admin_site():
    client = Client()
    client.user = UserFactory(admin=True, is_superuser=True)
    client.force_login(client.user)
    return client


# --- every status path opens and closes the period -----------------------------------------------

def test_patch_status_opens_a_period_linked_to_the_open_corrective_work_order(world):
    WorkOrderFactory(device=world.device, status=WorkOrderStatus.CLOSED, completed_date=timezone.localdate())
    WorkOrderFactory(device=world.device, work_type=WorkType.PREVENTIVE)
    older = WorkOrderFactory(device=world.device)
    newest = WorkOrderFactory(device=world.device)
    WorkOrderFactory(device=world.other)
    assert older.created_at <= newest.created_at
    before = timezone.now()
    response = world.clients[Role.ENGINEER].patch(f"/api/devices/{world.device.id}/", {"status": "maintenance"},
                                                  format="json")
    assert response.status_code == 200, response.content
    period = _open(world.device)
    assert (period.status, period.reason, period.work_order, period.opened_by, period.closed_by) == (
        "maintenance", "", newest, world.engineer, None)
    assert before <= period.started_at <= timezone.now()


def test_patch_back_to_active_closes_the_period(world):
    client, url = world.clients[Role.ADMIN], f"/api/devices/{world.device.id}/"
    assert client.patch(url, {"status": "inactive"}, format="json").status_code == 200
    assert client.patch(url, {"status": "active"}, format="json").status_code == 200
    period = DowntimePeriod.objects.get(device=world.device)
    assert period.ended_at is not None and period.ended_at >= period.started_at
    assert (period.status, period.opened_by, period.closed_by) == ("inactive", client.user, client.user)
    assert period.work_order is None  # no open corrective work order


def test_patch_without_a_status_change_touches_no_period(world):
    response = world.clients[Role.ENGINEER].patch(f"/api/devices/{world.device.id}/",
                                                  {"status": "active", "notes": "Checked"}, format="json")
    assert response.status_code == 200, response.content
    assert not DowntimePeriod.objects.exists()


def test_change_status_records_the_reason_and_the_given_work_order(world):
    WorkOrderFactory(device=world.device)  # an open corrective one, the newest: the given one wins
    cause = WorkOrderFactory(device=world.device)
    WorkOrderFactory(device=world.device)
    url = f"/api/devices/{world.device.id}/change-status/"
    response = world.clients[Role.ENGINEER].post(url, {"status": "maintenance", "reason": "Cracked housing",
                                                       "work_order": cause.id}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "maintenance"
    period = _open(world.device)
    assert (period.status, period.reason, period.work_order, period.opened_by) == (
        "maintenance", "Cracked housing", cause, world.engineer)
    # The toggle back closes it.
    assert world.clients[Role.ENGINEER].post(url).json()["status"] == "active"
    period.refresh_from_db()
    assert period.ended_at is not None and period.closed_by == world.engineer


@pytest.mark.parametrize("body, field", [
    ({"status": "inactive", "work_order": "foreign"}, "work_order"),
    ({"status": "inactive", "work_order": 999999}, "work_order"),
    ({"status": "inactive", "work_order": "abc"}, "work_order"),
    ({"status": "inactive", "reason": "x" * 201}, "reason"),
])
def test_change_status_refuses_a_foreign_work_order_or_a_long_reason(world, body, field):
    if body.get("work_order") == "foreign":
        body["work_order"] = WorkOrderFactory(device=world.other).id
    response = world.clients[Role.ADMIN].post(f"/api/devices/{world.device.id}/change-status/", body, format="json")
    assert_error(response, 400, fields=[field])
    world.device.refresh_from_db()
    assert world.device.status == "active" and not DowntimePeriod.objects.exists()


def test_moving_between_statuses_out_of_service_keeps_the_period(world):
    url = f"/api/devices/{world.device.id}/change-status/"
    client = world.clients[Role.ADMIN]
    client.post(url, {"status": "inactive", "reason": "Waiting for parts"}, format="json")
    first = _open(world.device)
    cause = WorkOrderFactory(device=world.device)
    client.post(url, {"status": "maintenance", "reason": "Repair started"}, format="json")
    period = _open(world.device)
    assert period.pk == first.pk and DowntimePeriod.objects.count() == 1
    # It takes the new status, keeps why it began and links the fault reported meanwhile.
    assert (period.status, period.reason, period.work_order) == ("maintenance", "Waiting for parts", cause)


def test_a_refused_transition_opens_no_period(world):
    Device.objects.filter(pk=world.device.pk).update(status="decommissioned")
    response = world.clients[Role.ENGINEER].post(f"/api/devices/{world.device.id}/change-status/",
                                                 {"status": "active"}, format="json")
    assert_error(response, 409, "invalid_transition")
    assert not DowntimePeriod.objects.exists()


def test_admin_actions_open_and_close_the_period():
    site, device = _admin_site(), DeviceFactory()
    cause = WorkOrderFactory(device=device)
    site.post("/admin/devices/device/", {"action": "mark_maintenance", "_selected_action": [device.pk]})
    device.refresh_from_db()
    assert device.status == DeviceStatus.MAINTENANCE
    period = _open(device)
    assert (period.status, period.work_order, period.opened_by) == ("maintenance", cause, site.user)
    site.post("/admin/devices/device/", {"action": "mark_active", "_selected_action": [device.pk]})
    period.refresh_from_db()
    assert period.ended_at is not None and period.closed_by == site.user


def test_creating_a_device_out_of_service_opens_its_period(admin_client, world):
    body = {"asset_number": "AST-DOWN", "name": "Ventilator", "hospital": world.device.hospital_id,
            "status": "maintenance"}
    response = admin_client.post("/api/devices/", body, format="json")
    assert response.status_code == 201, response.content
    period = _open(Device.objects.get(asset_number="AST-DOWN"))
    assert (period.status, period.opened_by) == ("maintenance", admin_client.user)


# --- the service itself -----------------------------------------------------------------------------

def test_a_system_job_may_make_any_transition():
    device = DeviceFactory(status=DeviceStatus.DECOMMISSIONED)
    services.device_set_status(device=device, by=None, status=DeviceStatus.INACTIVE, reason="Audit")
    device.refresh_from_db()
    assert device.status == DeviceStatus.INACTIVE
    # No period was open (the factory wrote the status directly): one opens, by the system.
    period = _open(device)
    assert (period.status, period.reason, period.opened_by) == ("inactive", "Audit", None)


def test_the_same_status_is_refused_for_everyone():
    device = DeviceFactory()
    with pytest.raises(Conflict) as refused:
        services.device_set_status(device=device, by=None, status=DeviceStatus.ACTIVE)
    assert refused.value.get_codes() == "invalid_transition"


def test_downtime_open_and_close_are_idempotent():
    device = DeviceFactory(monitor=True)
    cause = WorkOrderFactory(device=device)
    first = downtime.downtime_open(device=device, reason="Monitor silent for 300 s", work_order=cause)
    again = downtime.downtime_open(device=device, reason="Still silent")
    assert again.pk == first.pk and DowntimePeriod.objects.count() == 1
    assert (first.status, first.reason, first.work_order, first.opened_by) == ("", "Monitor silent for 300 s",
                                                                                cause, None)
    closed = downtime.downtime_close(device=device, note="Data flows again")
    assert closed.pk == first.pk and closed.ended_at is not None
    assert closed.reason == "Monitor silent for 300 s; Data flows again"
    assert downtime.downtime_close(device=device) is None
    device.refresh_from_db()
    assert device.status == DeviceStatus.ACTIVE  # a silent monitor never changed status


def test_downtime_close_leaves_a_device_out_of_service_down():
    device = DeviceFactory(monitor=True)
    downtime.downtime_open(device=device, reason="Silent")
    services.device_set_status(device=device, by=UserFactory(admin=True), status=DeviceStatus.MAINTENANCE)
    assert _open(device).status == DeviceStatus.MAINTENANCE  # the silent period took the status
    assert downtime.downtime_close(device=device, note="Data again") is None
    assert _open(device).ended_at is None
    services.device_set_status(device=device, by=None, status=DeviceStatus.ACTIVE)
    assert not DowntimePeriod.objects.filter(ended_at__isnull=True).exists()


# --- the database keeps one open period ----------------------------------------------------------

def test_a_second_open_period_is_refused_by_the_database():
    device = DeviceFactory()
    DowntimePeriod.objects.create(device=device, status=DeviceStatus.INACTIVE)
    with pytest.raises(IntegrityError):
        DowntimePeriod.objects.create(device=device, status=DeviceStatus.MAINTENANCE)


def test_a_second_open_period_maps_to_409_downtime_open():
    device = DeviceFactory()
    DowntimePeriod.objects.create(device=device, status=DeviceStatus.INACTIVE)
    with pytest.raises(Conflict) as refused, constraint_errors():
        DowntimePeriod.objects.create(device=device, status=DeviceStatus.MAINTENANCE)
    assert refused.value.get_codes() == "downtime_open"
    assert DowntimePeriod.objects.count() == 1


def test_a_status_change_that_loses_the_race_for_the_period_is_a_409_and_changes_nothing(monkeypatch, world):
    # Another request opened a period after this one looked (the lookup is forced to miss it):
    # the partial unique index refuses the second one and the API answers the table's 409.
    DowntimePeriod.objects.create(device=world.device, reason="Opened meanwhile")
    monkeypatch.setattr(downtime, "open_period", lambda device: None)
    response = world.clients[Role.ADMIN].post(f"/api/devices/{world.device.id}/change-status/",
                                              {"status": "maintenance"}, format="json")
    assert_error(response, 409, "downtime_open")
    world.device.refresh_from_db()
    assert world.device.status == "active"
    assert list(DowntimePeriod.objects.values_list("reason", flat=True)) == ["Opened meanwhile"]


# Real threads, each its own connection: on PostgreSQL the device row lock serialises them, on
# SQLite (IMMEDIATE transactions) the write lock taken at BEGIN does.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("targets", [("inactive", "maintenance"), ("maintenance", "maintenance")])
def test_concurrent_status_changes_leave_exactly_one_open_period(targets):
    device = DeviceFactory()
    clients = [authenticated_client(UserFactory(admin=True)) for _ in targets]
    url = f"/api/devices/{device.id}/change-status/"
    responses = run_concurrently(len(targets), lambda i: clients[i].post(url, {"status": targets[i]},
                                                                         format="json"))
    codes = sorted(response.status_code for response in responses)
    assert codes == ([200, 200] if targets[0] != targets[1] else [200, 409]), codes
    assert DowntimePeriod.objects.filter(device=device, ended_at__isnull=True).count() == 1
    device.refresh_from_db()
    assert _open(device).status == device.status


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_status_changes_keep_the_periods_consistent():
    device = DeviceFactory()
    cycle = ["inactive", "maintenance", "active"]
    clients = [authenticated_client(UserFactory(admin=True)) for _ in range(10)]
    url = f"/api/devices/{device.id}/change-status/"
    responses = run_concurrently(10, lambda i: clients[i].post(url, {"status": cycle[i % 3]}, format="json"))
    assert {response.status_code for response in responses} <= {200, 409}
    assert 200 in {response.status_code for response in responses}
    device.refresh_from_db()
    open_periods = DowntimePeriod.objects.filter(device=device, ended_at__isnull=True)
    assert open_periods.count() == (0 if device.status == "active" else 1)
    assert all(period.ended_at >= period.started_at for period in DowntimePeriod.objects.exclude(ended_at=None))


# --- GET /api/devices/{id}/downtime/ -------------------------------------------------------------

@pytest.mark.parametrize("role, target, expected", [
    (Role.ADMIN, "other", 200), (Role.ENGINEER, "device", 200), (Role.NURSE, "device", 200),
    (Role.DOCTOR, "monitor", 200), (Role.ENGINEER, "other", 404), (Role.NURSE, "other", 404),
    (Role.DOCTOR, "device", 404), (Role.PATIENT, "device", 403),
])
def test_downtime_is_scoped_like_the_device(world, role, target, expected):
    device = getattr(world, target)
    DowntimePeriod.objects.create(device=device, status=DeviceStatus.INACTIVE)
    response = world.clients[role].get(f"/api/devices/{device.id}/downtime/")
    if expected == 200:
        assert response.status_code == 200, response.content
        assert response.json()["count"] == 1
    else:
        assert_error(response, expected)


def test_anonymous_gets_401_on_downtime(api_client, world):
    assert_error(api_client.get(f"/api/devices/{world.device.id}/downtime/"), 401, "not_authenticated")


def test_downtime_lists_the_fields_newest_first_with_durations(world):
    now = timezone.now()
    cause = WorkOrderFactory(device=world.device)
    closed = DowntimePeriod.objects.create(device=world.device, status="inactive", reason="Parts",
                                           started_at=now - datetime.timedelta(days=3),
                                           ended_at=now - datetime.timedelta(days=3) + datetime.timedelta(hours=6.5),
                                           opened_by=world.engineer, closed_by=world.engineer)
    current = DowntimePeriod.objects.create(device=world.device, status="maintenance", reason="Alarm",
                                            started_at=now - datetime.timedelta(hours=2), work_order=cause,
                                            opened_by=world.engineer)
    DowntimePeriod.objects.create(device=world.other, status="inactive")
    body = world.clients[Role.ENGINEER].get(f"/api/devices/{world.device.id}/downtime/").json()
    assert [row["id"] for row in body["results"]] == [current.id, closed.id]
    latest, earlier = body["results"]
    assert set(latest) == {"id", "started_at", "ended_at", "status", "reason", "work_order", "work_order_number",
                           "duration_hours", "opened_by", "closed_by"}
    assert (latest["ended_at"], latest["status"], latest["reason"], latest["work_order"],
            latest["work_order_number"], latest["opened_by"], latest["closed_by"]) == (
        None, "maintenance", "Alarm", cause.id, cause.work_number, world.engineer.id, None)
    assert 2 <= latest["duration_hours"] < 2.1  # an open period runs to now
    assert (earlier["duration_hours"], earlier["work_order_number"], earlier["closed_by"]) == (
        6.5, None, world.engineer.id)


def test_downtime_follows_ordering_and_pages(world):
    now = timezone.now()
    early_long = DowntimePeriod.objects.create(device=world.device, started_at=now - datetime.timedelta(days=9),
                                               ended_at=now - datetime.timedelta(days=1))
    late_short = DowntimePeriod.objects.create(device=world.device, started_at=now - datetime.timedelta(days=5),
                                               ended_at=now - datetime.timedelta(days=4))
    url = f"/api/devices/{world.device.id}/downtime/"
    client = world.clients[Role.ADMIN]
    assert [r["id"] for r in client.get(url).json()["results"]] == [late_short.id, early_long.id]
    assert [r["id"] for r in client.get(f"{url}?ordering=started_at").json()["results"]] == [
        early_long.id, late_short.id]
    assert [r["id"] for r in client.get(f"{url}?ordering=-ended_at").json()["results"]] == [
        early_long.id, late_short.id]
    page = client.get(f"{url}?page_size=1").json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]


def test_downtime_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    client, url = world.clients[Role.ENGINEER], f"/api/devices/{world.device.id}/downtime/"
    now = timezone.now()
    DowntimePeriod.objects.create(device=world.device, started_at=now - datetime.timedelta(days=40),
                                  ended_at=now - datetime.timedelta(days=39),
                                  work_order=WorkOrderFactory(device=world.device))
    few, _ = count_queries(lambda: client.get(url))
    for day in range(1, 20):
        DowntimePeriod.objects.create(device=world.device, started_at=now - datetime.timedelta(days=day, hours=5),
                                      ended_at=now - datetime.timedelta(days=day),
                                      work_order=WorkOrderFactory(device=world.device))
    with django_assert_max_num_queries(few):
        assert client.get(url).json()["count"] == 20
    assert few <= 6


# --- Django admin ------------------------------------------------------------------------------------

def test_downtime_periods_are_read_only_in_admin_and_searchable_by_asset_number():
    site = _admin_site()
    mine = DowntimePeriod.objects.create(device=DeviceFactory(asset_number="AST-FIND"), reason="Fault")
    hour_ago = timezone.now() - datetime.timedelta(hours=1)
    other = DowntimePeriod.objects.create(device=DeviceFactory(asset_number="AST-ELSE"), reason="Other",
                                          started_at=hour_ago, ended_at=timezone.now())
    page = site.get("/admin/devices/downtimeperiod/?q=AST-FIND")
    assert page.status_code == 200
    assert b"AST-FIND" in page.content and b"AST-ELSE" not in page.content
    assert b"AST-ELSE" in site.get("/admin/devices/downtimeperiod/?open=no").content
    assert b"AST-FIND" not in site.get("/admin/devices/downtimeperiod/?open=no").content
    assert site.get("/admin/devices/downtimeperiod/add/").status_code == 403
    response = site.post(f"/admin/devices/downtimeperiod/{mine.pk}/change/", {"reason": "Rewritten"})
    assert response.status_code == 403
    assert site.post(f"/admin/devices/downtimeperiod/{other.pk}/delete/", {"post": "yes"}).status_code == 403
    mine.refresh_from_db()
    assert mine.reason == "Fault" and DowntimePeriod.objects.count() == 2


def test_decommissioning_a_device_in_maintenance_starts_a_period_of_its_own(db):
    from devices import services
    from devices.models import DowntimePeriod
    from tests.factories.equipment import DeviceFactory

    pump = DeviceFactory(status=DeviceStatus.ACTIVE)
    services.device_set_status(device=pump, by=None, status=DeviceStatus.MAINTENANCE, reason="pump fault")
    services.device_set_status(device=pump, by=None, status=DeviceStatus.DECOMMISSIONED)
    maintenance, retired = DowntimePeriod.objects.filter(device=pump).order_by("id")
    assert (maintenance.status, maintenance.reason, maintenance.ended_at is not None) == (
        DeviceStatus.MAINTENANCE, "pump fault", True)
    assert (retired.status, retired.ended_at, retired.started_at >= maintenance.ended_at) == (
        DeviceStatus.DECOMMISSIONED, None, True)
    services.device_set_status(device=pump, by=None, status=DeviceStatus.INACTIVE)  # re-commissioned, idle
    retired.refresh_from_db()
    idle = DowntimePeriod.objects.get(device=pump, ended_at__isnull=True)
    assert retired.ended_at is not None and idle.status == DeviceStatus.INACTIVE
