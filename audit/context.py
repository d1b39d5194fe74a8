"""Who is acting: the request being served (set by audit.middleware.AuditMiddleware), else nobody
(a job, a management command: actor empty, the job run's id as request id)."""

from contextvars import ContextVar

from django.contrib.auth import get_user_model

from core.middleware import current_request_id

_request = ContextVar("audit_request", default=None)


def set_current_request(request):
    return _request.set(request)


def reset_current_request(token):
    _request.reset(token)


def _principal():
    request = _request.get()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def current_actor():
    """The signed-in user of the current request, looked up when an entry is written: DRF
    authenticates inside the view and sets the Django request's user then (a JWT's user, after any
    middleware ran), Django admin's session before. A device key (ingest) is no user: None."""
    principal = _principal()
    return principal if isinstance(principal, get_user_model()) else None


def remote_addr():
    request = _request.get()
    return request.META.get("REMOTE_ADDR") if request is not None else None


def entry_context(actor=None):
    """The columns every entry takes from its context: actor (and their name and role as they are
    now), request id and client address."""
    actor = actor or current_actor()
    if actor is None:  # a job (nobody), or a non-user principal: a bedside monitor's key at ingest
        principal = _principal()
        device_id = getattr(principal, "device_id", None)
        return {"actor": None, "actor_email": None, "actor_name": f"device #{device_id}" if device_id else "",
                "actor_role": getattr(principal, "role", "") if device_id else "",
                "cid": current_request_id(), "remote_addr": remote_addr()}
    return {
        "actor": actor,
        "actor_email": getattr(actor, "email", None) or None,
        "actor_name": actor.get_full_name() or actor.username,
        "actor_role": getattr(actor, "role", ""),
        "cid": current_request_id(),
        "remote_addr": remote_addr(),
    }
