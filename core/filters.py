"""Filtering shared by every list: the default backends, and strict id / boolean filters."""

import operator
from functools import reduce

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters

MAX_ID = 2**63 - 1  # the range of a BigAutoField


class _ListOnly:
    """Filters, search and ordering describe the rows of a list. DRF also runs them in
    get_object(), so `/users/2/?role=patient` would look user 2 up *filtered* and answer 404; on a
    detail route (and its nested lists) the object is found unfiltered."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)


class ListFilterBackend(_ListOnly, DjangoFilterBackend):
    pass


class ListSearchFilter(_ListOnly, filters.SearchFilter):
    pass


class ListOrderingFilter(_ListOnly, filters.OrderingFilter):
    """`ordering_aliases = {"priority": "priority_rank"}` on a view sorts a public field by an
    annotation (e.g. a rank, where the stored text would sort alphabetically)."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        aliases = getattr(view, "ordering_aliases", {})
        if not ordering or not aliases:
            return ordering
        return [("-" if term.startswith("-") else "") + aliases.get(term.lstrip("-"), term.lstrip("-"))
                for term in ordering]


def any_contains(fields, term):
    """SearchFilter's test for one term: any of the fields contains it, ignoring case."""
    return reduce(operator.or_, (Q(**{f"{field}__icontains": term}) for field in fields))


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A whole-number id within the primary-key range: `1.5`, `abc` or a 20-digit number is a 400
    naming the parameter (a plain NumberFilter rounds decimals and lets huge numbers reach the
    database, where SQLite overflows into a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    """true/false (also 1/0), and a 400 for anything else: a plain BooleanFilter reads "yes" or
    "maybe" as "no filter", so a typo would silently list everything."""

    def to_python(self, value):
        result = super().to_python(value)
        if result is None and value not in self.empty_values:
            raise forms.ValidationError(_("Use true or false."), code="invalid")
        return result


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # The default select widget maps unknown strings to None before the field sees them.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)
