import django_filters

from core.filters import IdFilter, StrictBooleanFilter
from workorders.choices import Priority, WorkOrderStatus, WorkType
from workorders.models import WorkOrder, overdue_q


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
    overdue = StrictBooleanFilter(method="filter_overdue",
                                  help_text="true: past the due date and not closed; false: the rest.")
    reported_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                              help_text="Reported on or after this date (YYYY-MM-DD).")
    reported_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte",
                                            help_text="Reported on or before this date (YYYY-MM-DD).")

    class Meta:
        model = WorkOrder
        fields = ["status", "work_type", "priority", "device", "pm_schedule", "follow_up_of", "assigned_to", "overdue",
                  "reported_from", "reported_to"]

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())
