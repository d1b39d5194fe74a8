"""The audit log's filters. Each one narrows on an indexed column or the content type's join that
the list loads anyway; a malformed value is a 400 naming the parameter (never an empty list that
looks like "nothing happened")."""

import django_filters
from django import forms
from django.apps import apps
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry
from core.filters import IdFilter, StrictBooleanFilter

ACTION_NAMES = {label: value for value, label in AuditAction.choices}


class ObjectTypeField(forms.CharField):
    """ "<app_label>.<model>" naming an installed model (any case), else invalid."""

    def to_python(self, value):
        value = super().to_python(value).strip().lower()
        if not value:
            return None
        app_label, _, model = value.partition(".")
        if not _is_model(app_label, model):
            raise forms.ValidationError(
                gettext('Give "<app_label>.<model>" of a known model, e.g. "clinical.patient".'), code="invalid")
        return app_label, model


def _is_model(app_label, model):
    if not app_label or not model or "." in model:
        return False
    try:
        apps.get_model(app_label, model)
    except LookupError:
        return False
    return True


@extend_schema_field(OpenApiTypes.STR)
class ObjectTypeFilter(django_filters.Filter):
    field_class = ObjectTypeField

    def filter(self, queryset, value):
        if not value:
            return queryset
        app_label, model = value
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class AuditEntryFilter(django_filters.FilterSet):
    actor = IdFilter(field_name="actor_id", help_text="The acting user's id.")
    patient = IdFilter(field_name="patient_id", help_text="The patient the entries concern.")
    object_type = ObjectTypeFilter(help_text='"<app_label>.<model>", e.g. "clinical.patient".')
    action = django_filters.ChoiceFilter(choices=[(name, name) for name in ACTION_NAMES], method="filter_action",
                                         help_text="create, update, delete or read.")
    data_kind = django_filters.ChoiceFilter(choices=DataKind.choices)
    break_glass = StrictBooleanFilter(help_text="true: reads under an emergency-access grant only.")
    request_id = django_filters.CharFilter(field_name="cid", max_length=255,
                                           help_text="Every entry one request (or job run) wrote.")
    timestamp_after = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte",
                                                       help_text="From this moment on (inclusive, ISO 8601).")
    timestamp_before = django_filters.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt",
                                                        help_text="Before this moment (exclusive, ISO 8601).")

    class Meta:
        model = AuditEntry
        fields = ["actor", "patient", "object_type", "action", "data_kind", "break_glass", "request_id",
                  "timestamp_after", "timestamp_before"]

    def filter_action(self, queryset, name, value):
        return queryset.filter(action=ACTION_NAMES[value])
