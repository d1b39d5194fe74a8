import django_filters

from core.filters import StrictBooleanFilter
from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFilter(django_filters.FilterSet):
    is_active = StrictBooleanFilter()

    class Meta:
        model = WebhookEndpoint
        fields = ["is_active"]


class WebhookDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.ChoiceFilter(choices=EventType.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type"]
