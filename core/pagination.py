"""Every list's `?page=` / `?page_size=` (default 20, max 100) -> {count, next, previous, results},
with a count that stays cheap and deep pages that do not scan.

**count** is exact up to PAGINATION_COUNT_CAP rows (10,000), or PAGINATION_SEARCH_COUNT_CAP (1,000)
when the list is searched (`?search=`: every match is rechecked against each searched column, so
counting 10,000 of them cost more than the page; measured on 100,000 devices): `SELECT COUNT(*)`
over the list's ids limited to cap + 1 rows, so it never reads more than that. Above the cap PostgreSQL answers the
planner's row estimate for the list query (EXPLAIN), never below cap + 1; SQLite, the development
database, counts exactly. The `X-Count-Exact: true|false` header says which.

**Deep pages by keyset.** Every `next` link carries `after=<token>`: the last row's ordering values,
encrypted and authenticated (Fernet, a key derived from SECRET_KEY: the values are a patient's last
name or birth date, and URLs end up in access logs and browser history) together with the page
number, the direction, the route, the caller, the ordering and the other query parameters.
Following it runs `WHERE (ordering keys) > (those values)` instead of an OFFSET, so page 5,000 costs
what page 2 does. `previous` is a plain `?page=` link while its offset is
within PAGINATION_MAX_OFFSET (10,000 rows), else a `before=<token>` (the first row's values, the
keyset the other way). A `?page=` whose offset passes PAGINATION_MAX_OFFSET without a token is a 400
`page_too_deep` naming `page`; a token that was altered, or that belongs to another ordering, filter,
page size, page, direction, route or caller, is a 400 naming `after` (or `before`); so is sending
both. A `?page=` that is no whole number from 1 is a 400 naming `page`; a page past the end a 404.
The ordering always ends in the primary key (appended when the view's does not), so it is total and
the keyset exact, ties included.
"""

import base64
import decimal
import functools
import hashlib
import json
import math
import zlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.errors import DomainError
from core.keyset import decode_value, encode_value, keyset_filter, ordering_keys, row_values

PAGE_TOO_DEEP = "page_too_deep"
TOKEN_SECONDS = 24 * 3600  # a keyset link older than a day is refused (400): start again from page 1


def count_cap():
    return getattr(settings, "PAGINATION_COUNT_CAP", 10_000)


def search_count_cap():
    return getattr(settings, "PAGINATION_SEARCH_COUNT_CAP", 1_000)


def max_offset():
    return getattr(settings, "PAGINATION_MAX_OFFSET", 10_000)


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (default 20, max 100) -> {count, next, previous, results}."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    after_query_param = "after"
    before_query_param = "before"

    def paginate_queryset(self, queryset, request, view=None):
        self.request, self.count_exact = request, True
        if not isinstance(queryset, QuerySet) or queryset.query.combinator or queryset.query.is_sliced:
            self.keys = None  # rows computed in Python, a UNION: DRF's own paging
            page = super().paginate_queryset(queryset, request, view)
            self.count, self.number, self.rows = self.page.paginator.count, self.page.number, page
            self.more, self.has_previous = self.page.has_next(), self.page.has_previous()
            return page
        self.page_size_now = self.get_page_size(request)
        self.keys = ordering_keys(queryset)
        if self.keys is not None:
            queryset = queryset.order_by(*(key.order_by() for key in self.keys))
        cap = search_count_cap() if request.query_params.get("search") else count_cap()
        self.count, self.count_exact = capped_count(queryset, cap)
        self.number = self.requested_page()
        self.rows = self.fetch(queryset)
        if self.number > 1 and not self.rows:
            raise exceptions.NotFound(self.invalid_page_message)
        return self.rows

    def requested_page(self):
        raw = self.request.query_params.get(self.page_query_param) or 1
        self.wants_last = raw in self.last_page_strings
        if self.wants_last:
            return max(1, math.ceil(self.count / self.page_size_now))
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if number < 1:  # bad input names its parameter; a page past the end stays DRF's 404
            raise exceptions.ValidationError({self.page_query_param: [self.invalid_page_message]})
        return number

    def fetch(self, queryset):
        size, params = self.page_size_now, self.request.query_params
        if params.get(self.after_query_param) is not None and params.get(self.before_query_param) is not None:
            raise _bad_token(self.before_query_param, _not_valid())
        for name, forward in ((self.after_query_param, True), (self.before_query_param, False)):
            if params.get(name) is not None:
                values = self.read_token(name, params[name])
                return self.keyset_page(queryset, values, forward)
        offset = (self.number - 1) * size
        if self.count_exact and offset >= max(self.count, 1) and self.number > 1:
            raise exceptions.NotFound(self.invalid_page_message)
        if offset > max_offset():
            if self.wants_last and self.keys is not None:  # ?page=last: the last rows, read backwards
                return self.last_rows(queryset)
            message = _("Page %(page)s is too deep to reach by number (past row %(rows)s): follow the next "
                        "link, or narrow the list with filters.") % {"page": self.number, "rows": max_offset()}
            raise DomainError(message, code=PAGE_TOO_DEEP, errors={self.page_query_param: [message]})
        rows = list(queryset[offset:offset + size + 1])
        self.more, self.has_previous = len(rows) > size, self.number > 1
        return rows[:size]

    def last_rows(self, queryset):
        """`?page=last` past the offset limit (a list counted by estimate): its last page_size rows."""
        reverse = [key.reversed() for key in self.keys]
        rows = list(queryset.order_by(*(key.order_by() for key in reverse))[:self.page_size_now])
        self.more, self.has_previous = False, self.number > 1
        return rows[::-1]

    def keyset_page(self, queryset, values, forward):
        size = self.page_size_now
        if forward:
            rows = list(queryset.filter(keyset_filter(self.keys, values))[:size + 1])
            self.more, self.has_previous = len(rows) > size, True
            return rows[:size]
        reverse = [key.reversed() for key in self.keys]
        rows = list(queryset.filter(keyset_filter(reverse, values))
                    .order_by(*(key.order_by() for key in reverse))[:size])
        self.more, self.has_previous = True, self.number > 1
        return rows[::-1]

    # -- tokens ------------------------------------------------------------------------------
    def fingerprint(self):
        """What a token is only valid with: the route, the caller, the ordering, the page size and every
        other parameter (another user's link is refused, not read from the wrong row onwards)."""
        skip = {self.page_query_param, self.after_query_param, self.before_query_param}
        params = sorted((k, v) for k, v in self.request.query_params.lists() if k not in skip)
        blob = json.dumps([self.request.path, getattr(self.request.user, "pk", None),
                           [key.term() for key in self.keys], self.page_size_now, params])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def make_token(self, row, page, name):
        values = row_values(self.keys, row) if self.keys else None
        if values is None:
            return None
        payload = {"p": page, "d": name, "f": self.fingerprint(), "v": [encode_value(value) for value in values]}
        return _fernet(settings.SECRET_KEY).encrypt(zlib.compress(json.dumps(payload).encode())).decode()

    def read_token(self, name, token):
        if self.keys is None:
            raise _bad_token(name, _("This list cannot be paged by %(name)s; use ?page=.") % {"name": name})
        try:
            plain = _fernet(settings.SECRET_KEY).decrypt(token.encode(), ttl=TOKEN_SECONDS)
            payload = json.loads(zlib.decompress(plain))
            values = [decode_value(value) for value in payload["v"]]
            page, fingerprint, direction = payload["p"], payload["f"], payload["d"]
        except (InvalidToken, zlib.error, KeyError, TypeError, ValueError, decimal.InvalidOperation):
            raise _bad_token(name, _not_valid()) from None
        if direction != name:
            raise _bad_token(name, _not_valid())
        if page != self.number or fingerprint != self.fingerprint() or len(values) != len(self.keys):
            raise _bad_token(name, _("This link belongs to another page, ordering or filter: start again "
                                     "from the first page."))
        return values

    # -- links and answer --------------------------------------------------------------------
    def get_next_link(self):
        if not self.more:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.before_query_param)
        url = replace_query_param(url, self.page_query_param, self.number + 1)
        token = (self.make_token(self.rows[-1], self.number + 1, self.after_query_param)
                 if self.keys is not None else None)
        if token is None:
            return remove_query_param(url, self.after_query_param)
        return replace_query_param(url, self.after_query_param, token)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(remove_query_param(url, self.after_query_param), self.before_query_param)
        if self.number - 1 == 1:
            return remove_query_param(url, self.page_query_param)
        url = replace_query_param(url, self.page_query_param, self.number - 1)
        if self.keys is None or (self.number - 2) * self.page_size_now <= max_offset() or not self.rows:
            return url
        token = self.make_token(self.rows[0], self.number - 1, self.before_query_param)
        return url if token is None else replace_query_param(url, self.before_query_param, token)

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.get_next_link(),
                         "previous": self.get_previous_link(), "results": data},
                        headers={"X-Count-Exact": "true" if self.count_exact else "false"})

    def get_schema_operation_parameters(self, view):
        tokens = [{"name": name, "required": False, "in": "query", "schema": {"type": "string"},
                   "description": description} for name, description in (
            (self.after_query_param, "Opaque keyset token from a `next` link (deep pages); never built by hand."),
            (self.before_query_param, "Opaque keyset token from a `previous` link past the offset limit."))]
        return super().get_schema_operation_parameters(view) + tokens

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"]["description"] = (
            f"Exact up to {count_cap():,} rows ({search_count_cap():,} when searched); above that "
            "PostgreSQL's estimate (never below the cap). "
            "The X-Count-Exact header (true/false) says which.")
        response["properties"]["next"]["description"] = "The next page (its `after` token pages by keyset)."
        response["properties"]["previous"]["description"] = "The previous page (deep: a `before` token)."
        return response


@functools.lru_cache(maxsize=4)
def _fernet(secret_key):
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"meditrack.pagination:{secret_key}".encode()).digest()))


def _not_valid():
    return _("This link is not valid: use the next and previous links as the list gave them.")


class CursorPagination(pagination.CursorPagination):
    """The routes the contract calls "cursor" (reading history, the audit log): DRF's keyset cursor,
    with a cursor that was not handed out by the route a 400 naming `cursor`, like any other bad
    parameter (DRF answers 404, which a client cannot tell from a missing patient)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [
                _("Invalid cursor: use the next or previous link of a page.")]}) from exc


def _bad_token(name, message):
    return exceptions.ValidationError({name: [message]})


# -- counts ------------------------------------------------------------------------------------
def capped_count(queryset, cap):
    """(count, exact): exact up to the cap; above it the planner's estimate on PostgreSQL."""
    # The ids only: the rows' annotations (the PM schedules' last-work-order subqueries, the devices'
    # calibration state) are not computed for up to cap + 1 rows; those a filter uses stay in WHERE.
    unordered = queryset.order_by().values("pk")
    count = unordered[:cap + 1].count()
    if count <= cap:
        return count, True
    if connections[queryset.db].vendor != "postgresql":
        return unordered.count(), True
    # The plan of the rows' ids: the same joins and filters, without planning every selected column
    # (0.6 ms instead of 8 for the work-order list's select_related).
    plan = json.loads(unordered.explain(format="json"))
    return max(cap + 1, int(plan[0]["Plan"]["Plan Rows"])), False
