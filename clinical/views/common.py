"""What the clinical views share: the caller's role and nested lists (role sets: accounts.roles)."""
from types import SimpleNamespace

from rest_framework.filters import OrderingFilter, SearchFilter

CONSULTATION_SEARCH = ["chief_complaint", "diagnosis", "summary"]
CONSULTATION_ORDERING = ["created_at", "follow_up_date", "id"]


def role_of(request):
    # getattr: the schema generator inspects views with an anonymous user.
    return getattr(request.user, "role", None)


def paginated(view, queryset, serializer_class, *, ordering_fields=(), search_fields=()):
    """A nested list (an action's own rows): `?search=` and `?ordering=` over the given fields, as on
    every list, without the viewset's own filterset, which describes other rows."""
    rules = SimpleNamespace(ordering_fields=list(ordering_fields), search_fields=list(search_fields))
    if search_fields:
        queryset = SearchFilter().filter_queryset(view.request, queryset, rules)
    if ordering_fields:
        queryset = OrderingFilter().filter_queryset(view.request, queryset, rules)
    page = view.paginate_queryset(queryset)
    return view.get_paginated_response(serializer_class(page, many=True, context=view.get_serializer_context()).data)
