"""`GET /metrics`: Prometheus' text format, for the scraper only.

Readable from an address in METRICS_ALLOWED_ADDRESSES (addresses or networks, e.g. 10.0.0.0/8; the
client address as the throttles see it: REMOTE_ADDR, or the X-Forwarded-For entry NUM_PROXIES
trusts) or with `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time; an empty
METRICS_TOKEN matches nothing). Anyone else gets Django's plain 404, exactly as for a path that does
not exist: the route does not reveal itself. Not under /api/: no DRF, no JWT, not in the schema."""

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework.throttling import BaseThrottle

from core.metrics import scrape_registry


@lru_cache(maxsize=4)
def _networks(entries):
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {exc}") from exc


def _from_allowed_address(request):
    try:
        address = ipaddress.ip_address((BaseThrottle().get_ident(request) or "").strip())
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address  # ::ffff:127.0.0.1 from a dual-stack socket
    return any(address in network for network in _networks(tuple(settings.METRICS_ALLOWED_ADDRESSES)))


def _has_token(request):
    expected = settings.METRICS_TOKEN
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # compare_digest on bytes: constant time whatever the lengths, and no TypeError on non-ASCII.
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(),
                                                                                 expected.encode())


def may_read_metrics(request):
    return _has_token(request) or _from_allowed_address(request)


@csrf_exempt  # no session, no form: a write is the 405 below (or the 404), never Django's CSRF page
def metrics(request):
    if not may_read_metrics(request):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
