"""Who may call a route: data on the viewset, read here, once.

    role_rules = {"list": AUTHENTICATED, "create": {Role.ADMIN}, "inventory": {Role.ENGINEER}}

Keys are viewset actions (or lower-case HTTP methods on a plain APIView). An action missing from
the map is denied. `PUBLIC` lets anyone in; `AUTHENTICATED` any signed-in user; otherwise the
value is a set of roles. Anonymous callers of a non-public route get 401, signed-in callers whose
role is not listed get 403. Which *objects* they see is the queryset's job (`visible_to`).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

PUBLIC = "public"
AUTHENTICATED = "authenticated"


def action_name(request, view):
    method = request.method.lower()
    # HEAD is GET without a body (viewsets already map it so; plain views do not).
    return getattr(view, "action", None) or ("get" if method == "head" else method)


def allows(allowed, user):
    """Whether one rule (PUBLIC, AUTHENTICATED or a set of roles) lets `user` in."""
    if allowed == PUBLIC:
        return True
    if not (user and user.is_authenticated):
        return False
    return allowed == AUTHENTICATED or (bool(allowed) and getattr(user, "role", None) in allowed)


class RolePermission(BasePermission):
    message = _("Your role may not use this route.")

    def has_permission(self, request, view):
        if getattr(view, request.method.lower(), None) is None:
            return True  # no handler for this method: let DRF answer 405, not 403
        rules = getattr(view, "role_rules", {})
        action = action_name(request, view)
        if action in ("metadata", "options"):
            # OPTIONS describes a route to whoever may use any of its actions: a role that may use
            # none gets 403 like every other request (CORS preflights never get here: the CORS
            # middleware answers them).
            return any(allows(allowed, request.user) for allowed in rules.values())
        # An anonymous caller refused here gets 401 (DRF: an authenticator could have helped).
        return allows(rules.get(action), request.user)
