import operator
from functools import reduce

import django_filters
from django.db.models import Q
from django.db.models.constants import LOOKUP_SEP

from core.filters import IdFilter, ListSearchFilter, StrictBooleanFilter, any_contains
from workorders.choices import Priority, WorkOrderStatus, WorkType
from workorders.models import WorkOrder, overdue_q

# Related rows a search term may match and still be sent as a list of ids (see RelatedSearchFilter).
RELATED_IDS_MAX = 1000
TRIGRAM = 3


class WorkOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=WorkOrderStatus.choices)
    work_type = django_filters.ChoiceFilter(choices=WorkType.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)
    # Plain ids, not ModelChoiceFilter: no 400-vs-200 oracle on rows outside the caller's scope.
    device = IdFilter(field_name="device_id")
    pm_schedule = IdFilter(field_name="pm_schedule_id", help_text="The PM schedule that generated the work order.")
    follow_up_of = IdFilter(field_name="follow_up_of_id",
                            help_text="The PM work order whose failed checklist step opened this one.")
    assigned_to = IdFilter(field_name="assigned_to_id")
    # An identifier prefix: served by the UPPER(work_number) text_pattern_ops index (workorders 0005).
    work_number = django_filters.CharFilter(lookup_expr="istartswith", help_text=(
        "Work numbers starting with this, any case: `WO-202611` is November 2026's."))
    overdue = StrictBooleanFilter(method="filter_overdue",
                                  help_text="true: past the due date and not closed; false: the rest.")
    reported_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                              help_text="Reported on or after this date (YYYY-MM-DD).")
    reported_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte",
                                            help_text="Reported on or before this date (YYYY-MM-DD).")

    class Meta:
        model = WorkOrder
        fields = ["status", "work_type", "priority", "device", "pm_schedule", "follow_up_of", "assigned_to",
                  "work_number", "overdue", "reported_from", "reported_to"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


class RelatedSearchFilter(ListSearchFilter):
    """DRF's ?search= (each term in any of `search_fields`, icontains; every term), asked so that
    indexes serve it when some fields are on a related row (`device__asset_number`).

    DRF ORs `UPPER(col) LIKE` across the join (work_number OR description OR device.asset_number
    ...), which no index serves: every row of the join is tested (about 1 s at 200,000 work orders
    for a term that matches one). Here the related rows that match are found first, by their own
    trigram indexes, in one query per relation: up to RELATED_IDS_MAX of them become
    `device_id IN (ids)`, an index condition that joins this table's trigram indexes in one
    BitmapOr. A broad term (more matching rows than that) and a term shorter than a trigram (3
    characters, which no trigram index serves) stay DRF's join: PostgreSQL tests each row while it
    walks the ordering's index, and a broad term fills the page quickly. The same rows as DRF's
    filter."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        search_fields = self.get_search_fields(view, request)
        terms = self.get_search_terms(request)
        if not search_fields or not terms:
            return queryset
        local, related = [], {}
        for field in search_fields:
            relation, _, rest = field.partition(LOOKUP_SEP)
            if rest:
                related.setdefault(relation, []).append(rest)
            else:
                local.append(field)
        for term in terms:
            if len(term) < TRIGRAM:  # no trigram to look up: DRF's join, tested row by row in scope
                queryset = queryset.filter(any_contains(search_fields, term))
                continue
            arms = [any_contains(local, term)] if local else []
            for relation, fields in related.items():
                target = queryset.model._meta.get_field(relation).related_model._default_manager
                matching = target.filter(any_contains(fields, term)).order_by().values_list("pk", flat=True)
                ids = list(matching[:RELATED_IDS_MAX + 1])
                if len(ids) <= RELATED_IDS_MAX:
                    arms.append(Q(**{f"{relation}__in": ids}))
                else:  # a broad term: DRF's join, tested per row while the ordering's index fills the page
                    arms.append(any_contains([f"{relation}{LOOKUP_SEP}{field}" for field in fields], term))
            queryset = queryset.filter(reduce(operator.or_, arms))
        return queryset

