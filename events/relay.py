"""`POST /internal/events/`: `make run`'s jobs worker hands its events to the web process.

Without REDIS_URL the channel layer is each process's own memory, and the WebSocket clients are the
web process's; the jobs worker (escalations, silent monitors, the notifications they send) therefore
POSTs each committed event here (core.events.relay) and this view sends it to the web process's layer
(core.events.send_to_layer), exactly as if the web process had published it: the consumers then
scope it per user as any other event.

The route exists only while settings.EVENTS_RELAY_TOKEN is set, which config/devserver.py does for
`make run` without Redis (a secret made per run, given to both children); otherwise, in production and
in tests, every request gets a JSON 404, as if there were no such route. A request is accepted only from a
loopback address (REMOTE_ADDR; no forwarding header is trusted) with `Authorization: Relay <secret>`
(compared in constant time); else 403. Then: POST only (405), JSON only (415), an event as
core.events.publish() builds it (400 naming what is wrong), answered 204 once the layer has it.

Not part of the API: not under /api/, not in the OpenAPI schema, no DRF (no authentication classes,
throttles or role rules); a plain Django view in the API's error shape.
"""

import hmac
import ipaddress
import json
import logging
from datetime import datetime

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from core.errors import json_error
from core.events import RELAY_AUTH_SCHEME, send_to_layer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # an event is ids and states: a few hundred bytes
EVENT_KEYS = frozenset({"type", "at", "data", "model", "pk", "user_ids"})


def _from_loopback(request):
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return (mapped or address).is_loopback


def _has_secret(request):
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    expected = settings.EVENTS_RELAY_TOKEN
    # compare_digest on bytes: constant time whatever the lengths, and no TypeError on non-ASCII.
    return scheme == RELAY_AUTH_SCHEME and hmac.compare_digest(secret.strip().encode(), expected.encode())


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def event_errors(event):
    """{field: [messages]} for a body that is not an event as publish() builds it; {} when it is."""
    if not isinstance(event, dict):
        return {"non_field_errors": ["Expected a JSON object (an event)."]}
    errors = {}
    missing, unknown = EVENT_KEYS - set(event), set(event) - EVENT_KEYS
    for key in sorted(missing):
        errors[key] = ["This field is required."]
    for key in sorted(unknown):
        errors[key] = ["Unknown field."]
    if not isinstance(event.get("type", ""), str) or ("type" in event and not event["type"]):
        errors["type"] = ["A non-empty string, such as alert.escalated."]
    if "at" in event:
        try:
            datetime.fromisoformat(event["at"])
        except (TypeError, ValueError):
            errors["at"] = ["An ISO 8601 date-time."]
    if "data" in event and not isinstance(event["data"], dict):
        errors["data"] = ["A JSON object."]
    model, pk, user_ids = event.get("model"), event.get("pk"), event.get("user_ids")
    if model is not None and (not isinstance(model, str) or model.count(".") != 1):
        errors["model"] = ["A model label (app.Model) or null."]
    if pk is not None and not (_is_int(pk) or (isinstance(pk, str) and pk)):
        errors["pk"] = ["An integer, a string or null."]
    if (model is None) != (pk is None) and "model" not in errors and "pk" not in errors:
        errors["pk"] = ["model and pk go together: both or neither."]
    if user_ids is not None and not (isinstance(user_ids, list) and all(_is_int(uid) for uid in user_ids)):
        errors["user_ids"] = ["A list of user ids or null."]
    if not errors and model is None and user_ids is None:
        errors["non_field_errors"] = ["An event names an object (model, pk) or its users (user_ids)."]
    return errors


@csrf_exempt
def relay_events(request):
    if not settings.EVENTS_RELAY_TOKEN:
        return json_error(404, "not_found", "Not found.")
    if not (_from_loopback(request) and _has_secret(request)):
        logger.warning("event relay refused a request from %s", request.META.get("REMOTE_ADDR"))
        return json_error(403, "permission_denied", "Only the jobs worker of this `make run` may relay events.")
    if request.method != "POST":
        response = json_error(405, "method_not_allowed", f'Method "{request.method}" not allowed.')
        response["Allow"] = "POST"
        return response
    if request.content_type != "application/json":
        return json_error(415, "unsupported_media_type", "The body must be JSON (Content-Type: application/json).")
    try:
        too_big = int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES
    except ValueError:  # a Content-Length that is not a number
        too_big = True
    if too_big:
        return json_error(400, "validation_error", "Invalid input.",
                          {"non_field_errors": [f"An event is at most {MAX_BODY_BYTES} bytes."]})
    try:
        event = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        return json_error(400, "validation_error", "Invalid input.", {"non_field_errors": ["The body is not JSON."]})
    errors = event_errors(event)
    if errors:
        fields = [name for name in errors if name != "non_field_errors"]
        message = f"Invalid input: {', '.join(fields)}." if fields else errors["non_field_errors"][0]
        return json_error(400, "validation_error", message, errors)
    send_to_layer(event)
    return HttpResponse(status=204)
