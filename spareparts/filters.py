import django_filters

from core.filters import IdFilter
from spareparts.choices import SparePartStatus
from spareparts.models import SparePartRequest


class SparePartRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SparePartStatus.choices)
    # Plain ids, not ModelChoiceFilter: no 400-vs-200 oracle on rows outside the caller's scope.
    device = IdFilter(field_name="device_id")
    work_order = IdFilter(field_name="work_order_id")
    # An identifier prefix: served by the UPPER(request_number) text_pattern_ops index (spareparts 0003).
    request_number = django_filters.CharFilter(lookup_expr="istartswith", help_text=(
        "Request numbers starting with this, any case: `SPR-202611` is November 2026's."))

    class Meta:
        model = SparePartRequest
        fields = ["status", "device", "work_order", "request_number"]
