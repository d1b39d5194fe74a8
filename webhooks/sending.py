"""One HTTP attempt: the signed JSON POST to an endpoint (docs/webhooks.md has the receiver's side)."""

import hashlib
import hmac
import http.client
import json
import ssl
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from webhooks.choices import ERROR_MAX_LENGTH
from webhooks.validators import allowed_schemes

SIGNATURE_HEADER = "X-MediTrack-Signature"
EVENT_HEADER = "X-MediTrack-Event"
DELIVERY_HEADER = "X-MediTrack-Delivery"
USER_AGENT = "MediTrack-Webhooks/1"
RESPONSE_READ_LIMIT = 64 * 1024  # the receiver's answer is not used: read a little, then close


def body_bytes(payload):
    """The exact bytes sent (and signed): compact JSON, keys sorted, the same on every attempt."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


def signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(url, *, secret, event_type, delivery_id, payload):
    """POST the payload. Returns (status code or None, error text): (2xx, "") is a success; the error
    names what went wrong in a few words (never the body, the headers or the secret)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in allowed_schemes():  # set with DEBUG on, now off: never file:, ftp:
        return None, "Refused: the URL is not https:// (http:// only with DEBUG on)."
    body = body_bytes(payload)
    headers = {  # http.client sends these as spelled (urllib would send "X-meditrack-signature")
        "Content-Type": "application/json", "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(secret, body), EVENT_HEADER: event_type, DELIVERY_HEADER: str(delivery_id),
    }
    connection = _connection(parts)
    try:
        connection.request("POST", _target(parts), body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
    except (OSError, http.client.HTTPException) as exc:  # refused, timed out, DNS, TLS, a garbled answer
        return None, f"{type(exc).__name__}: {exc}"[:ERROR_MAX_LENGTH]
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return response.status, ""
    return response.status, f"HTTP {response.status}"  # 3xx included: redirects are never followed


def _connection(parts):
    """No proxy and no redirects: the admin chose this URL, not the environment or the receiver."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    if parts.scheme.lower() == "https":
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _target(parts):
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
