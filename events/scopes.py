"""Who receives an event: exactly who would see its object in the REST list.

An event about an object (`model` label + `pk`) reaches a user whose role may call that model's
REST list (READER_ROLES: the list route's `role_rules`, pinned by tests/events/test_scopes.py) and
whose `Model.objects.visible_to(user)` holds the object, both read when the event arrives (the user
row too: the scope at that moment, as a REST read would see it). An event naming users (`user_ids`) reaches only
those users. A model missing from READER_ROLES reaches nobody (fail closed).
"""

from django.apps import apps

from events.auth import APPROVED

# Role values (accounts.choices.Role) per model label; kept equal to the REST list's role_rules
# (alerts: CARE_TEAM, devices: DEVICE_READERS, work orders: WORKORDER_READERS) by a test, because
# this app imports no domain app.
READER_ROLES = {
    "monitoring.Alert": frozenset({"admin", "doctor", "nurse"}),
    "devices.Device": frozenset({"admin", "doctor", "engineer", "nurse"}),
    "workorders.WorkOrder": frozenset({"admin", "engineer", "nurse"}),
}


def current_user(user):
    """The user as stored now, or None when they may no longer sign in (deactivated, no longer
    approved, deleted): a REST request re-reads its user too."""
    fresh = type(user).objects.filter(pk=user.pk).first()
    if fresh is None or not fresh.is_active or getattr(fresh, "approval_status", APPROVED) != APPROVED:
        return None
    return fresh


def may_receive(user, event):
    """True when `user` may see `event` (one query for an event about an object, none otherwise)."""
    user_ids = event.get("user_ids")
    if user_ids is not None and user.pk not in user_ids:
        return False
    label = event.get("model")
    if not label:
        return user_ids is not None
    if getattr(user, "role", None) not in READER_ROLES.get(label, ()):
        return False
    model = apps.get_model(label)
    return model.objects.visible_to(user).filter(pk=event.get("pk")).exists()
