"""PM schedules in Django admin: a second door with the API's rules. Saves and deletes run
maintenance.services (the same 400s, shown as messages); the action runs the generator itself."""

from django import forms
from django.contrib import admin, messages

from core.admin import ServiceFormAdmin
from core.jobs import run_job
from maintenance import services
from maintenance.models import PMSchedule

FIELDS = ["device", "title", "checklist", "frequency", "interval", "based_on", "next_due_date", "lead_days", "active"]


class PMScheduleForm(forms.ModelForm):
    checklist = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
        help_text="One step per line (1 to 50 distinct steps, each at most 300 characters).")

    class Meta:
        model = PMSchedule
        fields = FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["checklist"] = "\n".join(self.instance.checklist)

    def clean_checklist(self):
        # Shape only: the service checks the steps (count, length, repeats) as for the API.
        return [line for line in self.cleaned_data["checklist"].splitlines() if line.strip()]


# The generator's report fields besides created/schedules, as the action's message words them.
REPORT_WORDING = [
    ("rearmed", "re-armed after their last work order closed"),
    ("waiting_for_completion", "waiting for their last work order to close"),
    ("skipped_inactive", "inactive or on a decommissioned device"),
    ("capped", "with more to catch up on the next run"),
    ("deferred", "left for the next run (the per-run schedule limit)"),
]


def report_message(report):
    """'Created N work order(s) for K schedule(s)', then every other non-zero count of the report."""
    counts = [f"{report[key]} {words}" for key, words in REPORT_WORDING if report.get(key)]
    message = f"Created {report['created']} work order(s) for {report['schedules']} schedule(s)"
    return message + ("; schedules: " + ", ".join(counts) if counts else "") + "."


@admin.register(PMSchedule)
class PMScheduleAdmin(ServiceFormAdmin):
    form = PMScheduleForm
    list_display = ["title", "device", "frequency", "interval", "based_on", "next_due_date", "lead_days", "active",
                    "updated_at"]
    list_filter = ["active", "frequency", "based_on", "next_due_date", "device__status", "device__hospital"]
    search_fields = ["title", "device__asset_number", "device__name"]
    list_select_related = ["device"]
    raw_id_fields = ["device"]
    readonly_fields = ["created_at", "updated_at"]
    date_hierarchy = "next_due_date"
    actions = ["generate_due_work_orders"]

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in FIELDS}
        if change:
            saved = services.pm_schedule_update(
                schedule=obj, by=request.user, **{name: fields[name] for name in form.changed_data if name in fields})
        else:
            saved = services.pm_schedule_create(by=request.user, **fields)
        # The admin goes on with `obj` (its log entry, the redirect): it becomes the saved row.
        for field in PMSchedule._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.pm_schedule_delete(schedule=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for schedule in queryset:
            services.pm_schedule_delete(schedule=schedule, by=request.user)

    @admin.action(description="Generate due work orders now (selected schedules)", permissions=["change"])
    def generate_due_work_orders(self, request, queryset):
        report = run_job("generate_pm_workorders", services.generate_pm_workorders,
                         schedule_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, report_message(report), messages.SUCCESS)
