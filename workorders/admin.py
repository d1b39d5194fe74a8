"""Work orders in Django admin: a second door with the API's rules. Numbers come from the counter,
statuses move only through actions running the API's services, and a closed work order is final
(read-only here as in the API). The checklist, its results and the PM / follow-up links are shown,
never edited here: results are the assigned engineer's (the API checks them against the checklist)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.choices import Role
from accounts.models import User
from core.admin import ServiceFormAdmin, service_action
from workorders import services
from workorders.choices import WorkOrderStatus
from workorders.models import WorkOrder


@admin.register(WorkOrder)
class WorkOrderAdmin(ServiceFormAdmin):
    list_display = ["work_number", "device", "work_type", "priority", "status", "assigned_to", "created_by",
                    "due_date", "completed_date", "created_at"]
    list_filter = ["status", "work_type", "priority", "due_date", "device__hospital"]
    search_fields = ["work_number", "description", "device__asset_number", "device__name"]
    list_select_related = ["device", "assigned_to", "created_by"]
    raw_id_fields = ["assigned_to"]
    readonly_fields = ["work_number", "device", "status", "completed_date", "completed_at", "created_by",
                       "pm_schedule", "pm_due_date", "checklist_with_results", "follow_up_of", "follow_up_link",
                       "created_at", "updated_at"]
    exclude = ["checklist", "checklist_results"]  # shown together, read-only, as checklist_with_results
    date_hierarchy = "created_at"
    actions = [
        service_action(services.workorder_start, arg="work_order", name="start_work_orders",
                       description="Start the selected work orders (open -> in progress)"),
        service_action(services.workorder_close, arg="work_order", name="close_work_orders",
                       description="Close the selected work orders (needs the technical action and every "
                                   "checklist result recorded)"),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("follow_up")

    @admin.display(description="Checklist (results)")
    def checklist_with_results(self, obj):
        if not obj.checklist:
            return "-"
        results = {result["step"]: result for result in obj.checklist_results}

        def outcome(step):
            result = results.get(step)
            if result is None:
                return "not recorded", ""
            return ("passed" if result["passed"] else "FAILED"), result.get("remark") or ""

        return format_html("<ol>{}</ol>", format_html_join(
            "", "<li>{} &mdash; <strong>{}</strong> {}</li>",
            ((step, *outcome(step)) for step in obj.checklist)))

    @admin.display(description="Corrective follow-up")
    def follow_up_link(self, obj):
        try:
            follow_up = obj.follow_up
        except WorkOrder.follow_up.RelatedObjectDoesNotExist:
            return "-"
        url = reverse("admin:workorders_workorder_change", args=[follow_up.pk])
        return format_html('<a href="{}">{}</a>', url, follow_up.work_number)

    def has_add_permission(self, request):
        return False  # work orders are reported through the API, which numbers them

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status != WorkOrderStatus.CLOSED  # closed is final

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assigned_to":  # as the API: only an active engineer is assigned
            kwargs["queryset"] = User.objects.filter(role=Role.ENGINEER, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # The API's own update: it re-checks that the work order is not closed (under a row lock).
        services.workorder_update(work_order=obj, by=request.user,
                                  **{name: form.cleaned_data[name] for name in form.changed_data})

    def delete_model(self, request, obj):
        services.workorder_delete(work_order=obj, by=request.user)  # also removes the photo file

    def delete_queryset(self, request, queryset):
        # "Delete selected" deletes through the same service, row by row (photo files go too).
        for work_order in queryset:
            services.workorder_delete(work_order=work_order, by=request.user)
