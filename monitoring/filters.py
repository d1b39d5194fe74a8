import django_filters

from clinical.filters import ScopedPatientFilter
from core.filters import IdFilter
from monitoring.choices import AlertKind, AlertSeverity, AlertStatus
from monitoring.models import Alert


class AlertFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    severity = django_filters.ChoiceFilter(choices=AlertSeverity.choices)
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)
    # A patient outside the caller's scope is refused like a missing one; a device is a plain id.
    patient = ScopedPatientFilter()
    device = IdFilter(field_name="device_id")

    class Meta:
        model = Alert
        fields = ["status", "severity", "kind", "patient", "device"]
