"""core.serializers.StrictFieldsMixin: a body key the write serializer does not take is a 400 naming
it ("Unknown field." / "This field is read-only."), reported with the other field errors, and nothing
is stored. Unit tests on a toy serializer, then every write route of issue 11 (PM schedules,
devices, work orders) with an unknown and a read-only key."""

import pytest
from django.utils import timezone
from rest_framework import serializers

from accounts.choices import Role
from core.serializers import (
    READ_ONLY_FIELD,
    UNKNOWN_FIELD,
    IndexedListField,
    RoleRestrictedFieldsMixin,
    StrictCharField,
    StrictFieldsMixin,
)
from core.testing import assert_error
from devices.models import Device
from maintenance.models import PMSchedule
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, RoomFactory, WorkOrderFactory
from tests.maintenance.factories import PMScheduleFactory
from workorders.models import WorkOrder


# --- the mixin on its own ----------------------------------------------------------------------------
class Shown(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    state = serializers.CharField(read_only=True)


class Write(StrictFieldsMixin, serializers.Serializer):
    resource_serializer = Shown
    name = serializers.CharField(max_length=5)
    size = serializers.IntegerField(required=False)


class Thing:
    def __init__(self):
        self.id, self.name, self.state = 7, "lamp", "on"


def errors_of(serializer):
    assert not serializer.is_valid()
    return serializer.errors


def test_unknown_and_read_only_keys_are_named_together_with_the_field_errors():
    errors = errors_of(Write(data={"name": "far too long", "bogus": 1, "id": 3, "state": "off", "size": "x"}))
    assert errors["bogus"] == [UNKNOWN_FIELD] == ["Unknown field."]
    assert errors["id"] == errors["state"] == [READ_ONLY_FIELD] == ["This field is read-only."]
    assert "name" in errors and "size" in errors  # the ordinary errors come in the same answer


def test_a_valid_body_is_unchanged():
    serializer = Write(data={"name": "lamp", "size": 2})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"name": "lamp", "size": 2}


def test_on_update_a_read_only_value_sent_back_unchanged_is_fine_a_changed_one_is_not():
    assert Write(Thing(), data={"name": "lamp", "id": 7, "state": "on"}).is_valid()
    errors = errors_of(Write(Thing(), data={"name": "lamp", "id": 8, "state": "on"}))
    assert set(errors) == {"id"}
    # On create there is nothing to compare with: any read-only key is refused.
    assert set(errors_of(Write(data={"name": "lamp", "id": 7}))) == {"id"}


def test_role_restricted_fields_keep_their_message_in_the_same_answer():
    class RoleWrite(StrictFieldsMixin, RoleRestrictedFieldsMixin, serializers.Serializer):
        resource_serializer = Shown
        forbidden_fields = {"owner"}
        name = serializers.CharField()

    errors = errors_of(RoleWrite(data={"name": "x", "owner": 3, "bogus": 1, "state": "x"}))
    assert errors == {"owner": ["You may not change this field."], "bogus": [UNKNOWN_FIELD],
                      "state": [READ_ONLY_FIELD]}


def test_strict_char_field_refuses_numbers_and_booleans():
    field = StrictCharField()
    for value in (123, 1.5, True):
        with pytest.raises(serializers.ValidationError):
            field.run_validation(value)
    assert field.run_validation(" text ") == "text"


def test_indexed_list_field_names_the_item():
    field = IndexedListField(child=StrictCharField())
    with pytest.raises(serializers.ValidationError) as caught:
        field.run_validation(["ok", 1, "fine", 2])
    assert [str(message) for message in caught.value.detail] == ["[1] Must be a string.", "[3] Must be a string."]


# --- every write route of issue 11 -----------------------------------------------------------------
def _pm_body(device):
    return {"device": device.pk, "title": "Safety check", "checklist": ["Inspect the cord"], "frequency": "monthly",
            "next_due_date": timezone.localdate().isoformat()}


def _snapshot():
    """What the routes below could write (compared before and after: nothing stored)."""
    return (list(PMSchedule.objects.order_by("pk").values()), list(Device.objects.order_by("pk").values()),
            list(WorkOrder.objects.order_by("pk").values()))


@pytest.fixture
def routes(client_for):
    engineer, nurse = UserFactory(engineer=True), UserFactory(nurse=True)
    device = DeviceFactory(assigned_engineer=engineer, assigned_nurses=[nurse])
    schedule = PMScheduleFactory(device=device)
    order = WorkOrderFactory(device=device, created_by=nurse)
    admin = client_for(Role.ADMIN)
    room = RoomFactory(hospital=device.hospital)
    return {
        "admin creates a PM schedule": (admin, "post", "/api/pm-schedules/", _pm_body(device)),
        "admin updates a PM schedule": (admin, "patch", f"/api/pm-schedules/{schedule.pk}/", {"title": "New"}),
        "admin creates a device": (admin, "post", "/api/devices/", {
            "asset_number": "AST-STRICT", "name": "Pump", "hospital": device.hospital_id}),
        "admin updates a device": (admin, "patch", f"/api/devices/{device.pk}/", {"notes": "x"}),
        "engineer updates a device": (client_for(engineer), "patch", f"/api/devices/{device.pk}/", {"notes": "x"}),
        "engineer changes the status": (client_for(engineer), "post", f"/api/devices/{device.pk}/change-status/",
                                        {"status": "maintenance"}),
        "engineer checks inventory": (client_for(engineer), "patch", f"/api/devices/{device.pk}/inventory/",
                                      {"room": room.pk}),
        "nurse reports a work order": (client_for(nurse), "post", "/api/workorders/", {
            "device": device.pk, "description": "Alarm", "work_type": "CM", "priority": "low"}),
        "admin updates a work order": (admin, "patch", f"/api/workorders/{order.pk}/", {"description": "x"}),
        "engineer updates a work order": (client_for(engineer), "patch", f"/api/workorders/{order.pk}/",
                                          {"technical_action": "x"}),
        "nurse updates a work order": (client_for(nurse), "patch", f"/api/workorders/{order.pk}/",
                                       {"description": "x"}),
    }


ROUTES = ["admin creates a PM schedule", "admin updates a PM schedule", "admin creates a device",
          "admin updates a device", "engineer updates a device", "engineer changes the status",
          "engineer checks inventory", "nurse reports a work order", "admin updates a work order",
          "engineer updates a work order", "nurse updates a work order"]
# A read-only field of each route's resource, sent with a value it does not have.
READ_ONLY = {
    "admin creates a PM schedule": ("last_work_order", {"id": 1}),
    "admin updates a PM schedule": ("created_at", "2020-01-01T00:00:00Z"),
    "admin creates a device": ("calibration_state", "calibrated"),
    "admin updates a device": ("id", 999999),
    "engineer updates a device": ("calibration_state", "calibrated"),
    "nurse reports a work order": ("checklist", ["Step"]),
    "admin updates a work order": ("pm_schedule", 1),
    "engineer updates a work order": ("follow_up", 1),
    "nurse updates a work order": ("checklist", ["Step"]),
}


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_an_unknown_key_is_a_400_naming_it_and_nothing_is_stored(routes, route):
    client, method, url, body = routes[route]
    before = _snapshot()
    response = getattr(client, method)(url, {**body, "bogus": 1}, format="json")
    errors = assert_error(response, 400, code="validation_error", fields=["bogus"])["errors"]
    assert errors["bogus"] == [UNKNOWN_FIELD]
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("route", sorted(READ_ONLY))
def test_a_read_only_key_is_a_400_naming_it_and_nothing_is_stored(routes, route):
    client, method, url, body = routes[route]
    name, value = READ_ONLY[route]
    before = _snapshot()
    response = getattr(client, method)(url, {**body, name: value}, format="json")
    errors = assert_error(response, 400, fields=[name])["errors"]
    assert errors[name] == [READ_ONLY_FIELD], errors
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES)
def test_the_valid_request_still_succeeds(routes, route):
    client, method, url, body = routes[route]
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code in (200, 201), response.content


@pytest.mark.django_db
def test_a_put_of_what_a_get_answered_still_works(routes):
    """Sending every read-only field back unchanged is not a change: accepted."""
    client, _, url, _ = routes["admin updates a PM schedule"]
    current = client.get(url).json()
    response = client.put(url, {**current, "title": "Renamed"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed"
