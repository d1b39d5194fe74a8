import django_filters

from clinical.filters import ScopedPatientFilter
from core.filters import IdFilter, StrictBooleanFilter
from monitoring.choices import MAX_ESCALATION_LEVEL, AlertKind, AlertSeverity, AlertStatus
from monitoring.models import Alert


class AlertFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    severity = django_filters.ChoiceFilter(choices=AlertSeverity.choices)
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    # A patient outside the caller's scope is refused like a missing one; a device is a plain id.
    patient = ScopedPatientFilter()
    device = IdFilter(field_name="device_id")
    device_suspect = StrictBooleanFilter()
    escalation_level__gte = IdFilter(field_name="escalation_level", lookup_expr="gte", min_value=0,
                                     max_value=MAX_ESCALATION_LEVEL)

    class Meta:
        model = Alert
        fields = ["status", "severity", "kind", "patient", "device", "device_suspect", "escalation_level__gte"]
