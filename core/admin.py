"""Django admin is a second door to the same data, never a way around a rule: what is final in the
API is read-only here, history and audit are append-only, and every state change is an admin
action that runs the API's own service (`service_action`)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponseRedirect
from rest_framework.exceptions import APIException

from core.models import Counter


def _reason(exc):
    if isinstance(exc, DjangoValidationError):
        return " ".join(exc.messages)
    detail = exc.detail

    def flatten(value):
        if isinstance(value, dict):
            return [f"{key}: {text}" if key != "non_field_errors" else text
                    for key, item in value.items() for text in flatten(item)]
        if isinstance(value, list | tuple):
            return [text for item in value for text in flatten(item)]
        return [str(value)]

    return " ".join(flatten(detail))


def service_action(service, *, arg, description, name, **extra):
    """An admin action that runs `service(<arg>=row, by=<the admin>, **extra)` for each selected row,
    each in its own transaction (the service's), exactly as the API does. A row the service refuses
    (an illegal transition, a rule) is reported with the service's own message and left unchanged."""

    def action(modeladmin, request, queryset):
        done = 0
        for obj in queryset:
            try:
                service(**{arg: obj}, by=request.user, **extra)
            except (APIException, DjangoValidationError) as exc:
                modeladmin.message_user(request, f"{obj}: {_reason(exc)}", messages.ERROR)
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{description}: {done} done.", messages.SUCCESS)

    action.__name__ = name
    return admin.action(description=description, permissions=["change"])(action)


class ServiceFormAdmin(admin.ModelAdmin):
    """A change form whose save runs a service: a refusal (the row changed meanwhile, a rule) is shown
    as the service's message and nothing is saved, never a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (APIException, DjangoValidationError) as exc:  # changeform_view's transaction rolled back
            self.message_user(request, _reason(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ReadOnlyAdminMixin:
    """Records written only through the API's services (history, audit, measurements): viewable,
    never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = False


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ["key", "value"]
    search_fields = ["key"]
    readonly_fields = ["key", "value"]  # lowering a counter would hand out numbers again

    def has_add_permission(self, request):
        return False
