import django_filters

from monitoring.choices import AlertKind, AlertSeverity, AlertStatus
from monitoring.models import Alert


class AlertFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    severity = django_filters.ChoiceFilter(choices=AlertSeverity.choices)
    kind = django_filters.ChoiceFilter(choices=AlertKind.choices)

    class Meta:
        model = Alert
        fields = ["status", "severity", "kind", "patient", "device"]
