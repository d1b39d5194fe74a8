import django_filters

from core.filters import StrictBooleanFilter
from notifications.models import Notification


class NotificationFilter(django_filters.FilterSet):
    # unread=true: read_at is null; unread=false: read ones; anything else is a 400 naming `unread`.
    unread = StrictBooleanFilter(field_name="read_at", lookup_expr="isnull",
                                 help_text="true: unread only; false: read only.")
    kind = django_filters.CharFilter(help_text="A machine name such as alert.escalated.")

    class Meta:
        model = Notification
        fields = ["unread", "kind"]
