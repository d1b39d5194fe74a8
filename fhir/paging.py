"""Searchset Bundles and their pages.

Every search pages by keyset (seek), never by offset: the `next` link carries an opaque `_cursor`
naming the last row sent, and the next page starts strictly after it, so a deep page costs what
the first does and rows written meanwhile cause neither gaps nor repeats. `_count` is the page
size: default DEFAULT_COUNT, at most MAX_COUNT (a larger one is served as MAX_COUNT, as FHIR lets a
server do), below 1 or not a number a 400."""

import base64
import binascii
import json
from urllib.parse import urlencode

from fhir.outcome import FhirError
from fhir.resources.R4B.bundle import Bundle

DEFAULT_COUNT = 50
MAX_COUNT = 500
PAGING_PARAMETERS = frozenset({"_count", "_cursor"})


def page_size(request):
    raw = request.query_params.get("_count")
    if raw is None:
        return DEFAULT_COUNT
    try:
        count = int(raw)
    except ValueError:
        raise FhirError(f"_count must be a whole number from 1 to {MAX_COUNT}.") from None
    if count < 1:
        raise FhirError(f"_count must be a whole number from 1 to {MAX_COUNT}.")
    return min(count, MAX_COUNT)


def encode_cursor(values):
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(request, length):
    """The `_cursor` values (a list of `length`), or None on the first page."""
    raw = request.query_params.get("_cursor")
    if raw is None:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != length:
        raise FhirError("_cursor is not a cursor this server gave: follow the Bundle's next link.")
    return values


def _url(request, params):
    query = urlencode(params, doseq=True)
    return request.build_absolute_uri(request.path) + (f"?{query}" if query else "")


def searchset(request, entries, *, next_cursor=None, total=None):
    """The Bundle: `entries` are (resource dict, search mode), `next_cursor` the values the next
    page starts after (None: this is the last page). The skeleton is validated by fhir.resources'
    Bundle; each resource was validated by its own model when it was built (fhir.mapping)."""
    params = [(key, value) for key, values in request.query_params.lists() for value in values]
    links = [{"relation": "self", "url": _url(request, params)}]
    if next_cursor is not None:
        following = [(key, value) for key, value in params if key != "_cursor"]
        links.append({"relation": "next", "url": _url(request, [*following, ("_cursor", encode_cursor(next_cursor))])})
    base = request.build_absolute_uri("/fhir/")
    shell = [{"fullUrl": f"{base}{resource['resourceType']}/{resource['id']}", "search": {"mode": mode}}
             for resource, mode in entries]
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if total is not None:
        bundle["total"] = total
    if shell:
        bundle["entry"] = shell
    Bundle.model_validate(bundle)
    for entry, (resource, _mode) in zip(shell, entries, strict=True):
        entry["resource"] = resource
    return bundle
