"""The role battery, generated from the URL conf: every routed action of every view has a rule in
its `role_rules`, and each role and an anonymous caller get in, or get 401/403, exactly as the rule
says. Nothing here names a view: a new view or action is picked up (and fails if it has no rule).
"""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import URLResolver, get_resolver, path
from rest_framework import decorators, status, viewsets
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from accounts.choices import Role
from core.permissions import AUTHENTICATED, PUBLIC, RolePermission
from monitoring.authentication import DEVICE_PRINCIPAL

# The schema and its two viewers are drf-spectacular's, public by its SERVE_PERMISSIONS setting.
EXEMPT_MODULES = ("drf_spectacular.",)
CALLERS = [None, *Role]  # None: anonymous
UNROUTED = ("head", "options")  # HEAD is GET, OPTIONS is DRF's metadata: RolePermission handles both


def _route(prefix, pattern):
    return prefix + str(pattern).lstrip("^").rstrip("$")


def _walk(patterns, prefix="/"):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, _route(prefix, pattern.pattern))
            continue
        cls = getattr(pattern.callback, "cls", None)
        if cls is None or cls.__module__.startswith(EXEMPT_MODULES):
            continue  # a plain Django view (the JSON 404 catch-all) or the docs
        # A router's view carries its method -> action map; a plain APIView's methods are its actions.
        actions = getattr(pattern.callback, "actions", None) or {
            method: method for method in cls.http_method_names if method not in UNROUTED and hasattr(cls, method)
        }
        yield _route(prefix, pattern.pattern), cls, pattern.callback.initkwargs, actions


def routed_actions():
    """(route, view class, initkwargs, method, action), once per view class, method and action."""
    seen, found = set(), []
    for route, cls, initkwargs, actions in _walk(get_resolver().url_patterns):
        for method, action in actions.items():
            if (cls, method, action) not in seen:
                seen.add((cls, method, action))
                found.append((route, cls, initkwargs, method, action))
    return found


ROUTED = routed_actions()


def _id(entry):
    _, cls, _, method, action = entry
    return f"{cls.__name__}.{action}({method.upper()})"


def expected_allowed(rule, role):
    if rule == PUBLIC:
        return True
    if role is None or not rule:
        return False
    return rule == AUTHENTICATED or role in rule


def build(entry, role):
    """The view instance and DRF Request a call of this action by this caller would get."""
    route, cls, initkwargs, method, action = entry
    django_request = getattr(APIRequestFactory(), method)(route)
    if role is not None:
        force_authenticate(django_request, user=SimpleNamespace(is_authenticated=True, role=role, pk=1))
    view = cls(**initkwargs)
    if isinstance(view, ViewSetMixin):  # what ViewSetMixin.as_view() does per request
        view.action_map = {method: action}
        setattr(view, method, getattr(view, action))
    view.args, view.kwargs, view.format_kwarg = (), {}, None
    request = view.initialize_request(django_request)
    view.request = request
    if role is None:
        request.user = AnonymousUser()
    return view, request


def test_the_battery_found_the_api():
    names = {cls.__name__ for _, cls, *_ in ROUTED}
    assert len(names) >= 15, names  # a broken walk must not pass by testing nothing


def test_the_walk_sees_extra_actions_and_plain_view_methods():
    """What makes a new action without a rule fail: the walk reports it."""

    class Extra(viewsets.ModelViewSet):
        role_rules = {"list": AUTHENTICATED}

        @decorators.action(detail=True, methods=["post"])
        def archive(self, request, pk=None):
            raise AssertionError  # never called

    class Plain(APIView):
        def get(self, request):
            raise AssertionError

        def delete(self, request):
            raise AssertionError

    router = SimpleRouter()
    router.register("extras", Extra, basename="extra")
    walked = {"Extra": set(), "Plain": set()}
    for _, cls, _, actions in _walk([*router.urls, path("plain/", Plain.as_view())]):
        walked[cls.__name__] |= set(actions.values())
    assert walked["Extra"] >= {"list", "create", "retrieve", "update", "partial_update", "destroy", "archive"}
    assert walked["Plain"] == {"get", "delete"}


@pytest.mark.parametrize("entry", ROUTED, ids=_id)
def test_every_routed_view_is_guarded_by_role_permission(entry):
    _, cls, *_ = entry
    assert any(issubclass(p, RolePermission) for p in cls.permission_classes), cls


@pytest.mark.parametrize("entry", ROUTED, ids=_id)
def test_every_routed_action_has_a_rule(entry):
    _, cls, _, method, action = entry
    assert action in getattr(cls, "role_rules", {}), (
        f"{cls.__name__} routes {method.upper()} to {action!r}, which has no entry in role_rules"
    )


@pytest.mark.parametrize("entry", ROUTED, ids=_id)
def test_every_rule_names_known_callers(entry):
    """A misspelt role would deny silently: a rule is PUBLIC, AUTHENTICATED or a non-empty set of
    roles (and the device pseudo-role of monitoring's ingest)."""
    _, cls, _, _, action = entry
    rule = cls.role_rules.get(action)
    if rule not in (PUBLIC, AUTHENTICATED):
        assert rule and set(rule) <= {*Role, DEVICE_PRINCIPAL}, (cls.__name__, action, rule)


@pytest.mark.parametrize("role", CALLERS, ids=lambda role: role or "anonymous")
@pytest.mark.parametrize("entry", ROUTED, ids=_id)
def test_role_permission_follows_the_rules(entry, role):
    _, cls, _, _, action = entry
    rule = cls.role_rules.get(action)
    view, request = build(entry, role)
    allowed = expected_allowed(rule, role)
    assert RolePermission().has_permission(request, view) is allowed, (cls.__name__, action, role, rule)
    if allowed:
        view.check_permissions(request)  # no other permission class on the route says no
        return
    # Denied: what the caller is answered. Anonymous -> 401 with a challenge, a signed-in role -> 403.
    with pytest.raises(NotAuthenticated if role is None else PermissionDenied) as refused:
        view.check_permissions(request)
    if role is None:
        assert view.get_authenticate_header(request), "a 401 needs a WWW-Authenticate challenge"
    else:
        assert refused.value.status_code == status.HTTP_403_FORBIDDEN


# Through HTTP, for a sample: every route whose path parameters can be filled with an id that does
# not exist. A denied caller is refused before any lookup; an allowed one reaches the view, which
# answers 404 (no such object) or 400 (the empty body): nothing is written.
MISSING = "999999999"


def concrete(route):
    path = re.sub(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>", MISSING, route)
    return None if any(c in path for c in "()?\\<[") else path


SAMPLE = [entry for entry in ROUTED if concrete(entry[0])]


@pytest.mark.parametrize("role", CALLERS, ids=lambda role: role or "anonymous")
@pytest.mark.parametrize("entry", SAMPLE, ids=_id)
def test_http_answers_follow_the_rules(entry, role, api_client, client_for):
    route, cls, _, method, action = entry
    client = api_client if role is None else client_for(role)
    call = getattr(client, method)
    response = call(concrete(route)) if method == "get" else call(concrete(route), {}, format="json")
    code = response.status_code
    if expected_allowed(cls.role_rules.get(action), role):
        assert code not in (status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN), (route, role, code)
    else:
        assert code == (status.HTTP_401_UNAUTHORIZED if role is None else status.HTTP_403_FORBIDDEN), (route, code)
