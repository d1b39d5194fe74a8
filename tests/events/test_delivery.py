"""Who receives what, and when: events are scoped exactly as the REST lists and sent only after commit.

Each scenario connects the users first (their `session.ready` proves they are subscribed), makes the
write through the API or the service, then reads what each connection received. "Receives nothing"
is only asserted next to a connection that did receive the same event, so a broken delivery cannot
pass for good scoping.
"""

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.choices import Role
from core.events import publish
from core.testing import authenticated_client
from monitoring.models import Alert
from notifications.services import notify
from tests.events.conftest import event_types, receive_events, run, session, sync
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, UserFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from tests.factories.monitoring import AlertFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ward():
    """A monitored patient with the department's nurse, the patient's doctor and everyone else."""
    department = DepartmentFactory()
    patient_user = UserFactory(patient=True)
    patient = patient_user.patient_record
    patient.department = department
    patient.save()
    monitor = DeviceFactory(monitor=True, patient=patient)
    doctor = UserFactory(doctor=True)
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    nurse = UserFactory(role=Role.NURSE, department=department)
    monitor.assigned_nurses.add(nurse)
    return SimpleNamespace(
        department=department, patient=patient, monitor=monitor, patient_user=patient_user, doctor=doctor,
        nurse=nurse, engineer=monitor.assigned_engineer, admin=UserFactory(admin=True),
        stranger_nurse=UserFactory(role=Role.NURSE, department=DepartmentFactory()),
        stranger_doctor=UserFactory(doctor=True), stranger_engineer=UserFactory(role=Role.ENGINEER),
    )


def received(users, write):
    """{user name: [event types]} each connected user received for `write` (a sync callable)."""
    async def scenario():
        connections = {name: await session(user) for name, user in users.items()}
        await sync(write)
        result = {name: await event_types(connection) for name, connection in connections.items()}
        for connection in connections.values():
            await connection.disconnect()
        return result

    return run(scenario)


def everyone(ward):
    return {name: getattr(ward, name) for name in (
        "nurse", "doctor", "admin", "engineer", "patient_user", "stranger_nurse", "stranger_doctor",
        "stranger_engineer")}


def ingest_sustained_tachycardia(ward):
    """Five readings of 140 bpm, 10 s apart (40 s): sustained by time and by count under any rule."""
    start = timezone.now() - timedelta(minutes=2)
    body = [{"device": ward.monitor.id, "bpm": 140, "recorded_at": (start + timedelta(seconds=10 * i)).isoformat()}
            for i in range(5)]
    response = authenticated_client(ward.nurse).post("/api/records/", body, format="json")
    assert response.status_code == 201, response.content


def test_an_ingest_that_opens_an_alert_reaches_the_care_team_in_scope_only(ward):
    got = received(everyone(ward), lambda: ingest_sustained_tachycardia(ward))
    assert Alert.objects.filter(patient=ward.patient, kind="tachycardia").count() == 1
    for name in ("nurse", "doctor", "admin"):
        assert "alert.opened" in got[name], (name, got)
    for name in ("stranger_nurse", "stranger_doctor", "engineer", "stranger_engineer", "patient_user"):
        assert not any(t.startswith("alert.") for t in got[name]), (name, got)


def test_the_alert_opened_message_is_the_contracts_shape(ward):
    async def scenario():
        connection = await session(ward.nurse)
        await sync(ingest_sustained_tachycardia, ward)
        messages = []
        while not await connection.receive_nothing(timeout=0.3):
            messages.append(await connection.receive_json_from())
        await connection.disconnect()
        return messages

    opened = [m for m in run(scenario) if m["type"] == "alert.opened"]
    assert len(opened) == 1
    message = opened[0]
    assert set(message) == {"type", "at", "data"}  # no label, pk or recipients leak out
    assert message["data"]["id"] == Alert.objects.get(patient=ward.patient).pk
    assert timezone.datetime.fromisoformat(message["at"]) <= timezone.now()


@pytest.mark.parametrize("event_type", ["alert.updated", "alert.escalated", "alert.resolved"])
def test_every_alert_event_follows_the_alert_lists_scope(ward, event_type):
    alert = AlertFactory(patient=ward.patient)
    got = received(everyone(ward), lambda: publish(event_type, {"id": alert.pk}, instance=alert))
    assert {name for name, types in got.items() if types == [event_type]} == {"nurse", "doctor", "admin"}
    assert {name for name, types in got.items() if not types} == {
        "stranger_nurse", "stranger_doctor", "engineer", "stranger_engineer", "patient_user"}


@pytest.mark.parametrize("event_type", ["device.offline", "device.online"])
def test_device_events_reach_the_devices_readers(ward, event_type):
    # Device.visible_to: the assigned nurse and engineer, the doctor of the monitored patient, admins.
    got = received(everyone(ward), lambda: publish(event_type, {"id": ward.monitor.pk}, instance=ward.monitor))
    assert {name for name, types in got.items() if types == [event_type]} == {"nurse", "doctor", "admin", "engineer"}
    assert {name for name, types in got.items() if not types} == {
        "stranger_nurse", "stranger_doctor", "stranger_engineer", "patient_user"}


def test_a_work_order_reported_by_a_nurse_reaches_its_engineer_the_nurse_and_admins(ward):
    body = {"device": ward.monitor.id, "description": "Screen flickers", "work_type": "CM",
            "priority": "high"}
    users = {"nurse": ward.nurse, "engineer": ward.engineer, "admin": ward.admin,
             "stranger_engineer": ward.stranger_engineer, "stranger_nurse": ward.stranger_nurse,
             "doctor": ward.doctor}

    def write():
        response = authenticated_client(ward.nurse).post("/api/workorders/", body, format="json")
        assert response.status_code == 201, response.content

    got = received(users, write)
    assert got == {"nurse": ["workorder.created"], "engineer": ["workorder.created"], "admin": ["workorder.created"],
                   "stranger_engineer": [], "stranger_nurse": [], "doctor": []}


def test_starting_and_closing_a_work_order_sends_status_changed_with_the_previous_status(ward):
    work_order = WorkOrderFactory(device=ward.monitor, created_by=ward.nurse)
    engineer = authenticated_client(ward.engineer)

    async def scenario():
        nurse, stranger = await session(ward.nurse), await session(ward.stranger_engineer)
        response = await sync(engineer.patch, f"/api/workorders/{work_order.pk}/", {"status": "in_progress"},
                              format="json")
        assert response.status_code == 200, response.content
        response = await sync(engineer.patch, f"/api/workorders/{work_order.pk}/",
                              {"status": "closed", "technical_action": "Replaced the cable"}, format="json")
        assert response.status_code == 200, response.content
        events = await receive_events(nurse, 2)
        quiet = await stranger.receive_nothing(timeout=0.3)
        await nurse.disconnect()
        await stranger.disconnect()
        return events, quiet

    events, stranger_quiet = run(scenario)
    assert [(e["type"], e["data"]) for e in events] == [
        ("workorder.status_changed", {"id": work_order.pk, "work_number": work_order.work_number,
                                      "status": "in_progress", "previous_status": "open"}),
        ("workorder.status_changed", {"id": work_order.pk, "work_number": work_order.work_number,
                                      "status": "closed", "previous_status": "in_progress"}),
    ]
    assert stranger_quiet


def test_a_refused_transition_sends_nothing(ward):
    work_order = WorkOrderFactory(device=ward.monitor, created_by=ward.nurse)
    engineer = authenticated_client(ward.engineer)

    def write():
        # An open work order cannot be closed (409), nor started with a bad field (400): nothing
        # announced for either; then a real start is.
        assert engineer.patch(f"/api/workorders/{work_order.pk}/", {"status": "closed"},
                              format="json").status_code == 409
        assert engineer.patch(f"/api/workorders/{work_order.pk}/", {"status": "in_progress", "checklist_results": 7},
                              format="json").status_code == 400
        assert engineer.patch(f"/api/workorders/{work_order.pk}/", {"status": "in_progress"},
                              format="json").status_code == 200

    got = received({"nurse": ward.nurse}, write)
    assert got == {"nurse": ["workorder.status_changed"]}


def test_an_event_of_a_rolled_back_write_is_never_sent(ward):
    def write():
        with pytest.raises(RuntimeError), transaction.atomic():
            alert = AlertFactory(patient=ward.patient)
            publish("alert.opened", {"id": alert.pk}, instance=alert)
            raise RuntimeError("rolled back")
        assert not Alert.objects.exists()
        committed = AlertFactory(patient=ward.patient)
        publish("alert.updated", {"id": committed.pk}, instance=committed)

    assert received({"nurse": ward.nurse}, write) == {"nurse": ["alert.updated"]}


def test_an_event_is_sent_when_its_transaction_commits_not_before(ward):
    alert = AlertFactory(patient=ward.patient)

    async def scenario():
        connection = await session(ward.nurse)

        def write_and_look():
            with transaction.atomic():
                publish("alert.updated", {"id": alert.pk}, instance=alert)
                return "inside"

        await sync(write_and_look)
        types = await event_types(connection)
        await connection.disconnect()
        return types

    assert run(scenario) == ["alert.updated"]


def test_notification_created_reaches_only_its_owner(ward):
    users = {"nurse": ward.nurse, "admin": ward.admin, "doctor": ward.doctor}
    got = received(users, lambda: notify(users=[ward.nurse], kind="alert_escalated", title="Alert escalated",
                                         email=False))
    assert got == {"nurse": ["notification.created"], "admin": [], "doctor": []}


def test_an_event_naming_users_and_an_object_needs_both(ward):
    alert = AlertFactory(patient=ward.patient)
    users = {"nurse": ward.nurse, "stranger_nurse": ward.stranger_nurse, "doctor": ward.doctor}
    got = received(users, lambda: publish("alert.escalated", {"id": alert.pk}, instance=alert,
                                          user_ids=[ward.nurse.pk, ward.stranger_nurse.pk]))
    assert got == {"nurse": ["alert.escalated"], "stranger_nurse": [], "doctor": []}


def test_scope_is_read_when_the_event_arrives(ward):
    # The nurse is moved to another department: the patient's next alert no longer reaches her.
    alert = AlertFactory(patient=ward.patient)

    def write():
        type(ward.nurse).objects.filter(pk=ward.nurse.pk).update(department=DepartmentFactory())
        publish("alert.updated", {"id": alert.pk}, instance=alert)

    got = received({"nurse": ward.nurse, "doctor": ward.doctor}, write)
    assert got == {"nurse": [], "doctor": ["alert.updated"]}


def test_datetimes_and_decimals_in_data_arrive_as_json_strings(ward):
    from decimal import Decimal
    alert = AlertFactory(patient=ward.patient)
    moment = timezone.now()

    async def scenario():
        connection = await session(ward.nurse)
        await sync(lambda: publish("alert.updated", {"id": alert.pk, "when": moment, "value": Decimal("1.5")},
                                   instance=alert))
        message = await connection.receive_json_from(timeout=3)
        await connection.disconnect()
        return message

    data = run(scenario)["data"]
    assert data["when"].startswith(moment.strftime("%Y-%m-%dT%H:%M:%S"))
    assert data["value"] == "1.5"


class BrokenLayer:
    async def group_send(self, group, message):
        raise ConnectionError("Redis is down")


class HungLayer:
    async def group_send(self, group, message):
        import asyncio
        await asyncio.sleep(60)


@pytest.mark.parametrize("layer", [BrokenLayer(), HungLayer()], ids=["down", "hung"])
def test_a_channel_layer_that_fails_never_fails_the_write(ward, layer, monkeypatch, settings, caplog):
    settings.EVENTS_SEND_TIMEOUT = 0.3
    monkeypatch.setattr("channels.layers.get_channel_layer", lambda *args: layer)
    body = {"device": ward.monitor.id, "description": "No display", "work_type": "CM", "priority": "high"}
    started = timezone.now()
    with caplog.at_level(logging.WARNING, logger="core.events"):
        response = authenticated_client(ward.nurse).post("/api/workorders/", body, format="json")
    assert response.status_code == 201, response.content
    assert (timezone.now() - started).total_seconds() < 3
    assert ward.monitor.work_orders.filter(description="No display").exists()
    assert "workorder.created not delivered" in caplog.text


def test_a_real_unreachable_redis_costs_the_write_nothing_but_a_warning(ward, monkeypatch, caplog):
    from channels_redis.core import RedisChannelLayer

    # Nothing listens on port 1: the connection is refused at once.
    layer = RedisChannelLayer(hosts=[{"address": "redis://127.0.0.1:1/0", "socket_connect_timeout": 0.5}])
    monkeypatch.setattr("channels.layers.get_channel_layer", lambda *args: layer)
    body = {"device": ward.monitor.id, "description": "No display", "work_type": "CM", "priority": "high"}
    with caplog.at_level(logging.WARNING, logger="core.events"):
        response = authenticated_client(ward.nurse).post("/api/workorders/", body, format="json")
    assert response.status_code == 201, response.content
    assert "workorder.created not delivered" in caplog.text


def test_a_failed_scope_check_closes_the_connection_with_1011_so_the_client_catches_up(ward, monkeypatch):
    alert = AlertFactory(patient=ward.patient)

    def broken(user, event):
        raise ConnectionError("database down")

    async def scenario():
        connection = await session(ward.nurse)
        monkeypatch.setattr("events.scopes.may_receive", broken)
        await sync(lambda: publish("alert.updated", {"id": alert.pk}, instance=alert))
        message = await connection.receive_output(timeout=3)
        await connection.disconnect()
        return message

    assert run(scenario) == {"type": "websocket.close", "code": 1011}


def test_a_user_deactivated_during_the_session_is_closed_with_4401_at_the_next_event(ward):
    alert = AlertFactory(patient=ward.patient)

    async def scenario():
        connection = await session(ward.nurse)
        await sync(lambda: type(ward.nurse).objects.filter(pk=ward.nurse.pk).update(is_active=False))
        await sync(lambda: publish("alert.updated", {"id": alert.pk}, instance=alert))
        message = await connection.receive_output(timeout=3)
        await connection.disconnect()
        return message

    assert run(scenario) == {"type": "websocket.close", "code": 4401}
