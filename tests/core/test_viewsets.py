"""core.viewsets.BaseViewSet: the queryset per action, one answer after a write, nested lists."""

import django_filters
import pytest
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts.choices import Role
from core.filters import IdFilter
from core.permissions import AUTHENTICATED
from core.viewsets import ModelViewSet, nested_list_parameters, nested_ordering_parameter
from devices.models import Device, DeviceQuerySet, InventoryCheck
from tests.factories import user_for_role
from tests.factories.equipment import DeviceFactory, InventoryCheckFactory, RoomFactory

pytestmark = pytest.mark.django_db
ALL = {"list", "retrieve", "create", "update", "partial_update", "destroy", "touch", "checks", "searched", "claim"}


class NameSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["name"]


class ReadSerializer(serializers.ModelSerializer):
    room_number = serializers.CharField(source="room.number")

    class Meta:
        model = Device
        fields = ["id", "name", "room_number"]


class CheckSerializer(serializers.Serializer):
    id = serializers.IntegerField()


class CheckFilter(django_filters.FilterSet):
    to_room = IdFilter()

    class Meta:
        model = InventoryCheck
        fields = ["to_room"]


SEARCHED = {"ordering_fields": ["id"], "ordering": ["id"], "search_fields": ["to_room__name", "to_room__number"]}


class DeviceViews(ModelViewSet):
    role_rules = {name: AUTHENTICATED for name in ALL}
    model = Device
    read_serializer_class = ReadSerializer
    write_actions = ModelViewSet.write_actions | {"touch"}
    action_scopes = {"claim": "assignable_by"}

    def get_serializer_class(self):
        return NameSerializer if self.action in ("create", "update", "partial_update") else ReadSerializer

    def optimise(self, queryset):
        return queryset.select_related("room")

    def perform_create(self, serializer):
        serializer.instance = DeviceFactory(name=serializer.validated_data["name"])

    @action(detail=True, methods=["post"])
    def touch(self, request, pk=None):
        device = self.get_object()
        Device.objects.filter(pk=device.pk).update(name="touched")
        return self.respond(device)  # stale in memory: the answer must be re-read

    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self.respond(self.get_object())

    @action(detail=True, methods=["get"])
    def checks(self, request, pk=None):
        return self.nested_list(self.get_object().inventory_checks.all(), CheckSerializer,
                                ordering_fields=("checked_at", "id"), ordering=("-checked_at", "-id"),
                                filterset_class=CheckFilter)

    @action(detail=True, methods=["get"])
    def searched(self, request, pk=None):
        return self.nested_list(self.get_object().inventory_checks.all(), CheckSerializer, **SEARCHED)


def call(user, method, action_name, pk=None, data=None, query=""):
    detail = pk is not None
    view = DeviceViews.as_view({method: action_name}, detail=detail)
    path = f"/x/{pk}/{query}" if detail else f"/x/{query}"
    request = getattr(APIRequestFactory(), method)(path, data, format="json")
    force_authenticate(request, user=user)
    return view(request, pk=pk) if detail else view(request)


@pytest.fixture
def engineer():
    return user_for_role(Role.ENGINEER)


def test_reads_are_scoped_by_visible_to(engineer):
    own, _other = DeviceFactory(assigned_engineer=engineer), DeviceFactory()
    assert [row["id"] for row in call(engineer, "get", "list").data["results"]] == [own.pk]
    assert call(engineer, "get", "retrieve", pk=_other.pk).status_code == 404


def test_writes_use_editable_by_when_the_queryset_defines_it(engineer, monkeypatch):
    device = DeviceFactory(assigned_engineer=engineer)
    monkeypatch.setattr(DeviceQuerySet, "editable_by", lambda self, user: self.none(), raising=False)
    assert call(engineer, "get", "retrieve", pk=device.pk).status_code == 200
    assert call(engineer, "patch", "partial_update", pk=device.pk, data={"name": "x"}).status_code == 404
    assert call(engineer, "post", "touch", pk=device.pk).status_code == 404  # a declared write action
    assert Device.objects.get(pk=device.pk).name != "x"


def test_without_editable_by_writes_see_what_reads_see(engineer):
    device, other = DeviceFactory(assigned_engineer=engineer), DeviceFactory()
    assert call(engineer, "patch", "partial_update", pk=device.pk, data={"name": "new"}).status_code == 200
    assert call(engineer, "patch", "partial_update", pk=other.pk, data={"name": "new"}).status_code == 404
    assert Device.objects.get(pk=other.pk).name != "new"


def test_an_action_names_its_own_scope(engineer, monkeypatch):
    seen = []
    monkeypatch.setattr(DeviceQuerySet, "assignable_by", lambda self, user: seen.append(user) or self.all())
    device = DeviceFactory()  # not the engineer's: only the claim scope lets them at it
    assert call(engineer, "post", "claim", pk=device.pk).status_code == 200
    assert seen == [engineer]


def test_every_write_answers_the_read_shape_re_read(engineer):
    device = DeviceFactory(assigned_engineer=engineer, name="old")
    updated = call(engineer, "patch", "partial_update", pk=device.pk, data={"name": "new"})
    assert updated.data == {"id": device.pk, "name": "new", "room_number": device.room.number}
    touched = call(engineer, "post", "touch", pk=device.pk)
    assert touched.status_code == 200 and touched.data["name"] == "touched"


def test_create_answers_201_with_the_read_shape_even_outside_the_read_scope(engineer):
    response = call(engineer, "post", "create", data={"name": "made"})
    assert response.status_code == 201
    stored = Device.objects.get(pk=response.data["id"])  # made for another engineer: re-read unscoped
    assert stored.assigned_engineer != engineer
    assert response.data == {"id": stored.pk, "name": "made", "room_number": stored.room.number}


def test_respond_re_reads_with_optimise(engineer, django_assert_num_queries):
    device = DeviceFactory(assigned_engineer=engineer)
    view = DeviceViews(request=None, action="retrieve", format_kwarg=None)
    view.request = APIRequestFactory().get("/")
    view.request.user = engineer
    with django_assert_num_queries(1):  # the device and its room in one query
        assert view.respond(Device(pk=device.pk)).data["room_number"] == device.room.number


def test_nested_list_orders_and_paginates(engineer):
    device = DeviceFactory(assigned_engineer=engineer)
    checks = [InventoryCheckFactory(device=device) for _ in range(3)]
    body = call(engineer, "get", "checks", pk=device.pk, query="?ordering=id&page_size=2").data
    assert body["count"] == 3 and [row["id"] for row in body["results"]] == [c.pk for c in checks[:2]]
    newest_first = call(engineer, "get", "checks", pk=device.pk).data["results"]
    assert [row["id"] for row in newest_first] == sorted((c.pk for c in checks), reverse=True)


def test_nested_list_filters_and_names_a_bad_parameter(engineer):
    device = DeviceFactory(assigned_engineer=engineer)
    kept = InventoryCheckFactory(device=device)
    InventoryCheckFactory(device=device, to_room=RoomFactory(hospital=device.hospital))
    body = call(engineer, "get", "checks", pk=device.pk, query=f"?to_room={device.room.pk}").data
    assert [row["id"] for row in body["results"]] == [kept.pk]
    bad = call(engineer, "get", "checks", pk=device.pk, query="?to_room=abc")
    assert bad.status_code == 400 and "to_room" in bad.data["errors"]


def test_nested_list_of_a_parent_outside_scope_is_404(engineer):
    other = DeviceFactory()
    InventoryCheckFactory(device=other)
    assert call(engineer, "get", "checks", pk=other.pk).status_code == 404


def test_nested_ordering_parameter_describes_the_choices():
    parameter = nested_ordering_parameter(("checked_at", "id"), ("-checked_at", "-id"))
    assert parameter.description == "checked_at or id, - for descending (default -checked_at)"


def _check_ids(engineer, device, action_name, query=""):
    return [row["id"] for row in call(engineer, "get", action_name, pk=device.pk, query=query).data["results"]]


def test_nested_list_searches_its_search_fields_like_a_list(engineer):
    device = DeviceFactory(assigned_engineer=engineer)
    icu = RoomFactory(hospital=device.hospital, name="Intensive Care", number="ICU-1")
    ward = InventoryCheckFactory(device=device)
    care = InventoryCheckFactory(device=device, to_room=icu)
    assert _check_ids(engineer, device, "searched", "?search=intensive") == [care.pk]  # case-insensitive
    assert _check_ids(engineer, device, "searched", "?search=icu-1 care") == [care.pk]  # every term, any field
    assert _check_ids(engineer, device, "searched", "?search=icu ward") == []
    assert _check_ids(engineer, device, "searched", "?search=") == [ward.pk, care.pk]
    # Without search_fields ?search= is no parameter of the list: every row.
    assert sorted(_check_ids(engineer, device, "checks", "?search=intensive")) == [ward.pk, care.pk]


def test_nested_list_falls_back_to_its_default_on_an_unknown_ordering(engineer):
    device = DeviceFactory(assigned_engineer=engineer)
    checks = [InventoryCheckFactory(device=device) for _ in range(2)]
    newest_first = [c.pk for c in reversed(checks)]
    assert _check_ids(engineer, device, "checks", "?ordering=device__name") == newest_first
    assert _check_ids(engineer, device, "checks", "?ordering=nope,id") == [c.pk for c in checks]  # the known one
    assert _check_ids(engineer, device, "searched", "?ordering=-nope") == [c.pk for c in checks]


def test_nested_list_parameters_name_ordering_and_search_only_when_searchable():
    ordering, search = nested_list_parameters(**SEARCHED)
    assert (ordering.name, search.name) == ("ordering", "search")
    assert search.description == "A search term (in to_room__name, to_room__number)"
    assert [p.name for p in nested_list_parameters(["id"], ["-id"])] == ["ordering"]
