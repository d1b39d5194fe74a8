"""The base viewset every domain viewset uses: read this first.

A request reaches a viewset through the router; `RolePermission` (core.permissions) reads the
viewset's `role_rules` and answers 401/403 before any query runs. From there the base owns three
things, each written once here instead of once per app:

1. **Which rows an action may touch** (`get_queryset`). Reads go through the model's
   `Model.objects.visible_to(user)`. Write actions (`write_actions`: create, update,
   partial_update, destroy, plus the viewset's own state-changing actions) go through
   `editable_by(user)` when the model's QuerySet defines it, else `visible_to(user)` too. An action
   with its own scope names the QuerySet method in `action_scopes`
   (`{"assign": "assignable_by"}`). Every lookup goes through `get_object()`, so an object outside
   the action's scope answers 404 exactly like a missing one. A model every caller may see in full
   (hospitals, rooms, users behind an admin-only route) sets `scoped = False` and a `queryset`.
   What the serializer shows is loaded in `optimise(queryset)` (select_related, prefetch,
   annotate), which every read, write and re-read shares: lists stay O(1) in queries.

2. **One answer after any write** (`respond`). Writes are validated by the write serializer that
   `get_serializer_class()` picks (per action, per role) and applied by a service in
   `perform_create`/`perform_update`; the answer is always `read_serializer_class` over the object
   re-read through the read queryset (`visible_to` + `optimise`), so a write answers exactly what
   a GET would. create/update/partial_update do this; a custom action ends with
   `return self.respond(instance)`. A write the caller was allowed to make may move the object out
   of what they see (a nurse assigns a free-pool monitor to a patient): it is then re-read
   unscoped, because they held it through `get_object()` a moment ago and are told what they did.
   `perform_create`/`perform_update` run inside `core.db.constraint_errors()`, so a write that
   loses a race to a database constraint answers as the app's CONSTRAINT_ERRORS say (a taken
   hospital name is the 400 naming `name`), with no per-viewset try/except.

3. **Lists nested under one object** (`nested_list`), e.g. `/devices/{id}/inventory-checks/`:
   the caller's scoped parent comes from `get_object()`, and its rows are searched (`?search=`
   over `search_fields`, as DRF's SearchFilter), ordered, filtered and paginated like every list.
   The viewset's own filters describe its rows, not these, so the action's schema says
   `filters=False, parameters=nested_list_parameters(...)` with the same fields.

4. **CSV exports of lists** (core.csv_export): a viewset that declares `csv_fields` (and
   `csv_filename`) answers `?format=csv` (or `Accept: text/csv`) on its list with every matching row
   streamed as CSV; errors stay JSON, and `?format=csv` on any other route is a 406 saying where CSV is
   offered.

A new viewset therefore declares data (`role_rules`, `read_serializer_class`, `write_actions`,
`filterset_class`, ordering) and overrides `optimise` and `get_serializer_class`; it rarely
overrides `get_queryset`.
"""

from django.core.exceptions import ImproperlyConfigured
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter
from rest_framework import filters, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core import csv_export
from core.db import constraint_errors
from core.db_router import reading_from_replica
from core.permissions import allows

WRITE_ACTIONS = frozenset({"create", "update", "partial_update", "destroy"})


class BaseViewSet(viewsets.GenericViewSet):
    model = None  # else taken from `queryset`
    scoped = True  # False: every caller who passes role_rules sees every row of `queryset`
    read_serializer_class = None  # the shape of every answer; defaults to serializer_class
    write_actions = WRITE_ACTIONS
    action_scopes = {}  # action -> QuerySet method taking the user, for an action with its own scope
    csv_fields = None  # read-serializer fields that `?format=csv` on the list exports (None: no CSV)
    csv_filename = None  # "devices": devices-<date>.csv
    schema = csv_export.ListSchema()

    # -- CSV (core.csv_export) ------------------------------------------------------------------
    def get_renderers(self):
        renderers = super().get_renderers()
        if self.csv_fields and getattr(self, "action", None) == "list":
            renderers.append(csv_export.CSVRenderer())
        return renderers

    def finalize_response(self, request, response, *args, **kwargs):
        # An answer that is not the streamed CSV (an error: 400 filter, 403 role) is JSON.
        if isinstance(response, Response) and csv_export.wants_csv(request):
            renderer = self.get_renderers()[0]
            request.accepted_renderer, request.accepted_media_type = renderer, renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    # -- OPTIONS ------------------------------------------------------------------------------
    def options(self, request, *args, **kwargs):
        """As DRF's, but `Allow` names only the methods the caller's role may use on this URL."""
        rules = getattr(self, "role_rules", {})
        action_map = getattr(self, "action_map", {}) or {}
        permitted = [method for method in self.allowed_methods
                     if method == "OPTIONS" or allows(rules.get(action_map.get(method.lower())), request.user)
                     or (method == "HEAD" and allows(rules.get(action_map.get("get")), request.user))]
        self.headers["Allow"] = ", ".join(permitted)
        return super().options(request, *args, **kwargs)

    # -- which rows ---------------------------------------------------------------------------
    def get_model(self):
        if self.model is not None:
            return self.model
        if self.queryset is not None:
            return self.queryset.model
        raise ImproperlyConfigured(f"{type(self).__name__} sets neither `model` nor `queryset`.")

    def base_queryset(self):
        return self.queryset.all() if self.queryset is not None else self.get_model()._default_manager.all()

    def scope_name(self, action):
        if action in self.action_scopes:
            return self.action_scopes[action]
        if action in self.write_actions and hasattr(self.base_queryset(), "editable_by"):
            return "editable_by"
        return "visible_to"

    def scoped_queryset(self, action):
        queryset = self.base_queryset()
        if self.scoped:
            queryset = getattr(queryset, self.scope_name(action))(self.request.user)
        return self.optimise(queryset)

    def get_queryset(self):
        return self.scoped_queryset(self.action)

    def optimise(self, queryset):
        """select_related/prefetch_related/annotate for what the serializers show."""
        return queryset

    # -- one answer after a write ---------------------------------------------------------------
    def get_read_serializer_class(self):
        return self.read_serializer_class or self.serializer_class

    def read_serializer(self, instance, **kwargs):
        return self.get_read_serializer_class()(instance, context=self.get_serializer_context(), **kwargs)

    def respond(self, instance, status=status.HTTP_200_OK, headers=None):
        """The object as a GET shows it now (re-read: the service may have changed related rows)."""
        fresh = self.scoped_queryset("retrieve").filter(pk=instance.pk).first()
        if fresh is None:  # the write moved it out of the caller's read scope (see the docstring)
            fresh = self.optimise(self.base_queryset()).get(pk=instance.pk)
        return Response(self.read_serializer(fresh).data, status=status, headers=headers)

    # -- lists under one object ----------------------------------------------------------------
    def nested_list(self, queryset, serializer_class, *, ordering_fields, ordering, search_fields=None,
                    filterset_class=None):
        """Search (`?search=` over `search_fields`, if any), order (`?ordering=` among `ordering_fields`,
        default `ordering`; an unknown field falls back to it), filter and paginate rows that belong to
        a scoped parent, answered like any list."""
        if search_fields:
            queryset = NestedSearch(search_fields).filter_queryset(self.request, queryset, self)
        queryset = NestedOrdering(ordering_fields, ordering).filter_queryset(self.request, queryset, self)
        if filterset_class is not None:
            filterset = filterset_class(self.request.query_params, queryset=queryset, request=self.request)
            if not filterset.is_valid():
                raise translate_validation(filterset.errors)  # a 400 naming the parameter, as on lists
            queryset = filterset.qs
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)


class NestedOrdering(filters.OrderingFilter):
    """`?ordering=` over a nested list's own fields (the viewset's `ordering_fields` are its rows')."""

    def __init__(self, fields, default):
        self.fields, self.default = list(fields), list(default)

    def get_valid_fields(self, queryset, view, context=None):
        return [(name, name) for name in self.fields]

    def get_default_ordering(self, view):
        return self.default


class NestedSearch(filters.SearchFilter):
    """`?search=` over a nested list's own fields (the viewset's `search_fields` are its rows')."""

    def __init__(self, fields):
        self.fields = list(fields)

    def get_search_fields(self, view, request):
        return self.fields


def nested_ordering_parameter(fields, default):
    """The `?ordering=` a nested list's schema advertises (`filters=False` drops the viewset's own)."""
    choices = " or ".join(fields)
    return OpenApiParameter("ordering", str, description=f"{choices}, - for descending (default {default[0]})")


def nested_search_parameter(fields):
    return OpenApiParameter(api_settings.SEARCH_PARAM, str, description=f"A search term (in {', '.join(fields)})")


def nested_list_parameters(ordering_fields, ordering, search_fields=None):
    """The query parameters of a `nested_list` called with the same arguments, for its extend_schema."""
    parameters = [nested_ordering_parameter(ordering_fields, ordering)]
    if search_fields:
        parameters.append(nested_search_parameter(search_fields))
    return parameters


class CreateMixin:
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with constraint_errors():
            self.perform_create(serializer)
        return self.respond(serializer.instance, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        serializer.save()


class UpdateMixin:
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with constraint_errors():
            self.perform_update(serializer)
        return self.respond(serializer.instance)

    def partial_update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_update(self, serializer):
        serializer.save()


class ListMixin(mixins.ListModelMixin):
    """DRF's list, and its CSV export when the request negotiated `csv` (see core.csv_export)."""

    def list(self, request, *args, **kwargs):
        if csv_export.wants_csv(request):
            with reading_from_replica():  # when there is one (core.db_router)
                return csv_export.csv_response(self)
        return super().list(request, *args, **kwargs)


class ReadOnlyModelViewSet(ListMixin, mixins.RetrieveModelMixin, BaseViewSet):
    pass


class ModelViewSet(CreateMixin, UpdateMixin, ListMixin, mixins.RetrieveModelMixin,
                   mixins.DestroyModelMixin, BaseViewSet):
    pass
