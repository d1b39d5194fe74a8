"""Keyset ("seek") paging for core.pagination: a queryset's ordering as keys that end in the pk,
the lexicographic filter "rows after these values", and the values' JSON form inside a token.

NULLs sort where the database puts them (PostgreSQL: largest; SQLite: smallest) unless the ordering
says NULLS FIRST/LAST; the filter follows the same rule, so a keyset page equals the OFFSET page.
"""

import datetime
import decimal
import uuid

from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import F, OrderBy, Q


class Key:
    """One term of a list's ordering: a field path, an annotation or the pk; its direction; where
    its NULLs sort; and whether it can be NULL at all."""

    def __init__(self, name, descending, nulls_last, nullable):
        self.name, self.descending, self.nulls_last, self.nullable = name, descending, nulls_last, nullable

    def term(self):
        return ("-" if self.descending else "") + self.name + ("~" if self.nulls_last else "")

    def order_by(self):
        expression = F(self.name)
        nulls = {} if not self.nullable else {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return expression.desc(**nulls) if self.descending else expression.asc(**nulls)

    def reversed(self):
        return Key(self.name, not self.descending, not self.nulls_last, self.nullable)

    def after(self, value):
        """Rows whose value for this key comes strictly after `value` in this key's order."""
        if value is None:
            return None if self.nulls_last else ~Q(**{f"{self.name}__isnull": True})
        condition = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and self.nulls_last:
            condition |= Q(**{f"{self.name}__isnull": True})
        return condition

    def equal(self, value):
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})


def ordering_keys(queryset):
    """The queryset's ordering as Keys ending in the pk, or None when it cannot be keyset-paged
    (a random order, an expression other than a field or annotation, a relation's own ordering)."""
    query, meta = queryset.query, queryset.model._meta
    terms = list(query.order_by or (meta.ordering if query.default_ordering else ()))
    largest = connections[queryset.db].features.nulls_order_largest
    keys = []
    for term in terms:
        if isinstance(term, str):
            if term == "?" or "." in term:
                return None
            descending, name, explicit = term.startswith("-"), term.lstrip("-+"), None
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            descending, name = term.descending, term.expression.name
            explicit = True if term.nulls_last else (False if term.nulls_first else None)
        else:
            return None
        name = meta.pk.name if name == "pk" else name
        nullable = _nullable(queryset, name)
        if nullable is None:
            return None
        nulls_last = explicit if explicit is not None else (largest != descending)
        keys.append(Key(name, descending, nulls_last, nullable))
    if not any(key.name in (meta.pk.name, meta.pk.attname) for key in keys):
        keys.append(Key(meta.pk.name, keys[-1].descending if keys else False, True, False))
    return keys


def _nullable(queryset, name):
    """Whether the path can be NULL; None when it is not a concrete value (a relation itself)."""
    if name in queryset.query.annotations:
        return True
    model, nullable, parts = queryset.model, False, name.split("__")
    for index, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        last = index == len(parts) - 1
        if field.is_relation and last and part != getattr(field, "attname", None):
            return None  # ordering by a relation sorts by its model's ordering: not a value here
        nullable = nullable or field.null or not field.concrete
        if last:
            return nullable
        if not field.is_relation:
            return None
        model = field.related_model
    return nullable


def keyset_filter(keys, values):
    """The lexicographic "after": k1 after v1, or k1 = v1 and k2 after v2, or ... With a leading
    bound on k1 (k1 >= v1) so that an index on the ordering starts its scan there; none where k1's
    NULLs sort after its values (PostgreSQL, ascending), since "k1 >= v1 OR k1 IS NULL" is no range."""
    condition, prefix = Q(pk__in=[]), Q()
    for key, value in zip(keys, values, strict=True):
        after = key.after(value)
        if after is not None:
            condition |= prefix & after
        prefix &= key.equal(value)
    first, value = keys[0], values[0]
    if value is None and first.nulls_last:  # after a NULL, where NULLs come last: only NULLs
        condition &= Q(**{f"{first.name}__isnull": True})
    elif value is not None and not (first.nullable and first.nulls_last):  # NULLs, if any, came before
        condition &= Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": value})
    return condition


_MISSING = object()


def row_values(keys, row):
    """The row's value for each key (its attributes, or a values() row's keys); None when one is
    not on the row (an unselected alias)."""
    values = []
    for key in keys:
        if isinstance(row, dict):
            value = row.get(key.name, _MISSING)
        else:
            value = row
            for part in key.name.split("__"):
                value = getattr(value, part, _MISSING) if value is not None else None
                if value is _MISSING:
                    break
        if value is _MISSING:
            return None
        values.append(value)
    return values


# -- values in tokens ---------------------------------------------------------------------------
_TYPES = {"dt": datetime.datetime, "d": datetime.date, "t": datetime.time}


def encode_value(value):
    for tag, kind in _TYPES.items():  # datetime before date: a datetime is a date
        if isinstance(value, kind):
            return [tag, value.isoformat()]
    if isinstance(value, decimal.Decimal):
        return ["dec", str(value)]
    if isinstance(value, uuid.UUID):
        return ["uuid", str(value)]
    return value


def decode_value(value):
    if not isinstance(value, list):
        return value
    tag, text = value
    if tag in _TYPES:
        return _TYPES[tag].fromisoformat(text)
    return decimal.Decimal(text) if tag == "dec" else uuid.UUID(text)
