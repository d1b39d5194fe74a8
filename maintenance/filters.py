import django_filters

from core.filters import IdFilter, StrictBooleanFilter
from maintenance.choices import BasedOn, Frequency
from maintenance.models import PMSchedule


class PMScheduleFilter(django_filters.FilterSet):
    # A plain id, not ModelChoiceFilter: no 400-vs-200 oracle on devices outside the caller's scope.
    device = IdFilter(field_name="device_id")
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices)
    based_on = django_filters.ChoiceFilter(choices=BasedOn.choices)
    active = StrictBooleanFilter()
    due_before = django_filters.DateFilter(field_name="next_due_date", lookup_expr="lte",
                                           help_text="next_due_date on or before this date (YYYY-MM-DD).")
    due_after = django_filters.DateFilter(field_name="next_due_date", lookup_expr="gte",
                                          help_text="next_due_date on or after this date (YYYY-MM-DD).")

    class Meta:
        model = PMSchedule
        fields = ["device", "frequency", "based_on", "active", "due_before", "due_after"]
