from types import SimpleNamespace

from accounts.choices import Role
from core.permissions import AUTHENTICATED, PUBLIC, RolePermission


def check(rules, action, role=None, authenticated=True):
    user = SimpleNamespace(is_authenticated=authenticated, role=role)
    request = SimpleNamespace(user=user, method="POST")
    view = SimpleNamespace(role_rules=rules, action=action, post=lambda: None)
    return RolePermission().has_permission(request, view)


def test_listed_role_is_allowed_and_others_denied():
    rules = {"create": {Role.ADMIN}}
    assert check(rules, "create", Role.ADMIN)
    assert not check(rules, "create", Role.NURSE)


def test_action_missing_from_the_map_is_denied():
    assert not check({"create": {Role.ADMIN}}, "destroy", Role.ADMIN)


def test_public_and_authenticated_markers():
    assert check({"create": PUBLIC}, "create", authenticated=False)
    assert check({"create": AUTHENTICATED}, "create", Role.PATIENT)
    assert not check({"create": AUTHENTICATED}, "create", authenticated=False)
