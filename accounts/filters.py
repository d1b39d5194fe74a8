import django_filters

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from core.filters import IdFilter, StrictBooleanFilter


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    type = django_filters.ChoiceFilter(field_name="role", choices=Role.choices, help_text="Alias of `role`.")
    approval_status = django_filters.ChoiceFilter(choices=ApprovalStatus.choices)
    is_active = StrictBooleanFilter()
    department = IdFilter(field_name="department_id")

    class Meta:
        model = User
        fields = ["role", "type", "approval_status", "is_active", "department"]
