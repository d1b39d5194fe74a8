from datetime import timedelta

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from core.models import TrackedModel
from core.scoping import InIds
from devices.choices import DeviceStatus
from devices.dates import years_after
from devices.models import Device
from maintenance.choices import (
    INTERVAL_MAX,
    INTERVAL_MIN,
    LEAD_DAYS_MAX,
    LEAD_DAYS_MIN,
    NEXT_DUE_MAX_YEARS,
    BasedOn,
    Frequency,
)

# The API's messages, also Django admin's (the model's validators run in its form before the
# database's check constraints would).
INTERVAL_MESSAGE = f"The interval is {INTERVAL_MIN} to {INTERVAL_MAX}."
LEAD_DAYS_MESSAGE = f"Lead days are {LEAD_DAYS_MIN} to {LEAD_DAYS_MAX}."


def next_due_date_error(day, today=None):
    """The message for a next due date more than NEXT_DUE_MAX_YEARS ahead, else None."""
    limit = years_after(today or timezone.localdate(), NEXT_DUE_MAX_YEARS)
    if day is not None and day > limit:
        return _("A due date is at most %(years)s years ahead (%(date)s is after %(limit)s).") % {
            "years": NEXT_DUE_MAX_YEARS, "date": day.isoformat(), "limit": limit.isoformat()}
    return None


class DateMinusDays(Func):
    """`date - days` computed in the database: PostgreSQL's `date - integer`, SQLite's
    `date(d, '-N days')` (both answer a date)."""

    arity = 2
    output_field = models.DateField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="date(%(expressions)s || ' days')",
                              arg_joiner=", '-' || ", **extra)


# A schedule that generates: active, on a device still in service.
GENERATING = Q(active=True) & ~Q(device__status=DeviceStatus.DECOMMISSIONED)
NOT_GENERATING = Q(active=False) | Q(device__status=DeviceStatus.DECOMMISSIONED)


class PMScheduleQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Admin: all; engineer: the schedules of the devices assigned to them; anyone else: nothing."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.ENGINEER:
            # The engineer's device ids (their index), then each one's schedules (device, next_due_date).
            return self.filter(InIds("device", Device.objects.filter(assigned_engineer=user).values("pk")))
        return self.none()

    def due(self, today):
        """Schedules whose next occurrence's work order should exist by `today`:
        next_due_date - lead_days <= today (the bound on next_due_date alone lets the index help)."""
        return self.filter(next_due_date__lte=today + timedelta(days=LEAD_DAYS_MAX)).alias(
            opens_on=DateMinusDays("next_due_date", "lead_days")).filter(opens_on__lte=today)

    def generating(self):
        return self.filter(GENERATING)


class PMSchedule(TrackedModel):
    """A preventive-maintenance plan for one device. The generator (maintenance.services) turns each
    due occurrence into one PM work order; `WorkOrder.pm_schedule` + `pm_due_date` is unique, so an
    occurrence becomes a work order exactly once."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="pm_schedules",
                               db_index=False)  # (device, next_due_date, id) in Meta.indexes
    title = models.CharField(max_length=200)
    checklist = models.JSONField(default=list, help_text="The steps, as a list of texts.")
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    interval = models.PositiveSmallIntegerField(default=1, validators=[
        MinValueValidator(INTERVAL_MIN, INTERVAL_MESSAGE), MaxValueValidator(INTERVAL_MAX, INTERVAL_MESSAGE)])
    based_on = models.CharField(max_length=16, choices=BasedOn.choices, default=BasedOn.SCHEDULED_DATE)
    next_due_date = models.DateField()
    lead_days = models.PositiveSmallIntegerField(default=0, validators=[
        MinValueValidator(LEAD_DAYS_MIN, LEAD_DAYS_MESSAGE), MaxValueValidator(LEAD_DAYS_MAX, LEAD_DAYS_MESSAGE)])
    active = models.BooleanField(default=True, db_index=True)

    objects = PMScheduleQuerySet.as_manager()

    class Meta:
        ordering = ["next_due_date", "id"]
        # The default order (also the generator's range on next_due_date), per device (the engineer's
        # scope goes through their devices) and by title: index ranges, not sorts.
        indexes = [
            models.Index(fields=["next_due_date", "id"], name="maintenance_pm_due_id"),
            models.Index(fields=["device", "next_due_date", "id"], name="maintenance_pm_device_due"),
            models.Index(fields=["title", "id"], name="maintenance_pm_title_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(frequency__in=Frequency.values),
                                   name="maintenance_pmschedule_frequency_valid"),
            models.CheckConstraint(condition=Q(based_on__in=BasedOn.values),
                                   name="maintenance_pmschedule_based_on_valid"),
            models.CheckConstraint(condition=Q(interval__gte=INTERVAL_MIN, interval__lte=INTERVAL_MAX),
                                   name="maintenance_pmschedule_interval_range"),
            models.CheckConstraint(condition=Q(lead_days__gte=LEAD_DAYS_MIN, lead_days__lte=LEAD_DAYS_MAX),
                                   name="maintenance_pmschedule_lead_days_range"),
        ]

    def __str__(self):
        return f"{self.title} ({self.device_id})"
