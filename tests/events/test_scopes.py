"""The events app's own tables stay equal to the REST API's, and the app imports no domain app."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from accounts.choices import ApprovalStatus
from core.events import BROADCAST_GROUP, groups_for, user_group
from devices.views import DeviceViewSet
from events import auth, scopes
from monitoring.views import AlertViewSet
from workorders.views import WorkOrderViewSet

EVENTS_APP = Path(settings.BASE_DIR) / "events"
DOMAIN_APPS = {"accounts", "clinical", "devices", "workorders", "maintenance", "spareparts", "monitoring",
               "dashboard", "reports", "notifications", "organisation", "demo"}


@pytest.mark.parametrize("label, viewset", [
    ("monitoring.Alert", AlertViewSet), ("devices.Device", DeviceViewSet), ("workorders.WorkOrder", WorkOrderViewSet),
])
def test_reader_roles_are_the_rest_lists_role_rules(label, viewset):
    assert viewset.model._meta.label == label
    assert scopes.READER_ROLES[label] == {str(role) for role in viewset.role_rules["list"]}


def test_every_model_an_event_names_has_its_readers():
    # The contract's event types and the model each names (core/events.py docstring, docs/events.md).
    assert set(scopes.READER_ROLES) == {"monitoring.Alert", "devices.Device", "workorders.WorkOrder"}


def test_a_model_without_readers_reaches_nobody(django_user_model, db):
    admin = django_user_model.objects.create(username="root", role="admin", email="root@example.org")
    event = {"type": "thing.happened", "model": "clinical.Patient", "pk": 1, "user_ids": None}
    assert scopes.may_receive(admin, event) is False


def test_approved_is_the_accounts_value():
    assert auth.APPROVED == ApprovalStatus.APPROVED


def test_events_imports_no_domain_app():
    imported = set()
    for path in EVENTS_APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert "core" in imported and "channels" in imported  # the walk saw the imports
    assert not imported & DOMAIN_APPS, sorted(imported & DOMAIN_APPS)


def test_groups_for_an_event():
    assert groups_for({"model": "monitoring.Alert", "pk": 1, "user_ids": None}) == [BROADCAST_GROUP]
    assert groups_for({"model": None, "pk": None, "user_ids": [3, 7]}) == [user_group(3), user_group(7)]
    assert groups_for({"model": "monitoring.Alert", "pk": 1, "user_ids": [3]}) == ["user.3"]
    assert groups_for({"model": None, "pk": None, "user_ids": None}) == []


def test_an_event_for_nobody_is_dropped_with_a_warning(caplog, monkeypatch):
    from core import events

    sent = []
    monkeypatch.setattr("channels.layers.get_channel_layer", lambda *args: sent.append(args))
    events.deliver({"type": "x.y", "at": "", "data": {}, "model": None, "pk": None, "user_ids": None})
    assert sent == []
    assert "names neither an object nor users" in caplog.text


def test_the_channel_layer_follows_redis_url():
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if settings.REDIS_URL:
        assert backend == "channels_redis.core.RedisChannelLayer"
        assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"] == settings.REDIS_URL
    else:
        assert backend == "channels.layers.InMemoryChannelLayer"


def test_daphne_comes_first_so_runserver_serves_asgi():
    assert settings.INSTALLED_APPS[0] == "daphne"
    assert {"channels", "events"} <= set(settings.INSTALLED_APPS)
    assert settings.ASGI_APPLICATION == "config.asgi.application"
