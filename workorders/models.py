import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from core.db import ConflictError
from core.models import TrackedModel
from workorders import errors
from workorders.choices import PRIORITY_RANK, Priority, WorkOrderStatus, WorkType


def photo_upload_to(instance, filename):
    # A random name: the reporter's file name is neither trusted nor needed, and is not guessable.
    extension = os.path.splitext(filename)[1].lower()
    return f"workorders/photos/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"


def overdue_q(today=None):
    """Past its due date and not closed: the one definition (lists, filters, dashboard counts)."""
    return Q(due_date__lt=today or timezone.localdate()) & ~Q(status=WorkOrderStatus.CLOSED)


class WorkOrderQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Admin: all; engineer: assigned to them; nurse: reported by them; anyone else: nothing."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.ENGINEER:
            return self.filter(assigned_to=user)
        if role == Role.NURSE:
            return self.filter(created_by=user)
        return self.none()

    def overdue(self, today=None):
        return self.filter(overdue_q(today))

    def open_corrective(self):
        """Corrective work orders not yet closed, newest report first (devices reach this through
        `device.work_orders` to link a downtime period to the fault that caused it)."""
        return self.filter(work_type=WorkType.CORRECTIVE).exclude(status=WorkOrderStatus.CLOSED).order_by(
            "-created_at", "-id")

    def with_details(self):
        # follow_up, the reverse OneToOne, as its id only (`follow_up_pk`, by the unique
        # follow_up_of index): a join of the whole row was a sixth join for PostgreSQL to plan,
        # which took most of the page's SQL time (issue 15: 10.8 -> 8.1 ms for a 50-row page).
        follow_up = self.model.objects.filter(follow_up_of=OuterRef("pk")).values("pk")[:1]
        return self.select_related("device__hospital", "device__room", "created_by", "assigned_to").annotate(
            follow_up_pk=Subquery(follow_up))


class WorkOrder(TrackedModel):
    work_number = models.CharField(max_length=32, unique=True, editable=False)
    # device, status, the people and the dates: indexed with the list's order in Meta.indexes.
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="work_orders",
                               db_index=False)
    description = models.TextField()
    work_type = models.CharField(max_length=2, choices=WorkType.choices, default=WorkType.CORRECTIVE)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=16, choices=WorkOrderStatus.choices, default=WorkOrderStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="reported_work_orders", db_index=False)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="assigned_work_orders", limit_choices_to={"role": Role.ENGINEER},
                                    db_index=False)
    due_date = models.DateField()
    completed_date = models.DateField(null=True, blank=True)
    # When it closed, to the second: the reliability report's repair times (MTTR) need hours.
    completed_at = models.DateTimeField(null=True, blank=True)
    technical_action = models.TextField(blank=True)
    photo = models.ImageField(upload_to=photo_upload_to, blank=True)
    # A PM work order made by the generator: its schedule and the occurrence's due date (unique
    # together: one work order per occurrence, however often or concurrently the generator runs).
    pm_schedule = models.ForeignKey("maintenance.PMSchedule", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="work_orders")
    pm_due_date = models.DateField(null=True, blank=True)
    checklist = models.JSONField(default=list, blank=True, help_text="The steps to carry out (texts).")
    checklist_results = models.JSONField(default=list, blank=True,
                                         help_text="One {step, passed, remark} per checklist step.")
    # The corrective work order a failed checklist step opened, linked to its PM work order.
    follow_up_of = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="follow_up")
    # The day the overdue notice went to the assignee (workorders.jobs): one email a day, claimed by
    # a conditional UPDATE so that two runs on one day send one.
    overdue_notice_on = models.DateField(null=True, blank=True, editable=False)

    objects = WorkOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The list at 200,000 work orders (issue 15): each scope (engineer: assigned_to; nurse:
        # created_by), the device and status filters with the default order, and each ?ordering=
        # field with the id, read an index range LIMIT 50 (backwards for descending). The priority
        # rank is the expression ?ordering=priority sorts by. Search: migration 0005 (PostgreSQL).
        indexes = [
            models.Index(fields=["created_at", "id"], name="workorders_created_id"),
            models.Index(fields=["assigned_to", "created_at", "id"], name="workorders_assignee_created"),
            models.Index(fields=["created_by", "created_at", "id"], name="workorders_reporter_created"),
            models.Index(fields=["device", "created_at", "id"], name="workorders_device_created"),
            models.Index(fields=["status", "created_at", "id"], name="workorders_status_created"),
            models.Index(fields=["status", "id"], name="workorders_status_id"),
            models.Index(fields=["due_date", "id"], name="workorders_due_id"),
            models.Index(fields=["updated_at", "id"], name="workorders_updated_id"),
            models.Index(PRIORITY_RANK, F("id"), name="workorders_priority_rank_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=WorkOrderStatus.values),
                                   name="workorders_workorder_status_valid"),
            models.CheckConstraint(condition=Q(priority__in=Priority.values),
                                   name="workorders_workorder_priority_valid"),
            models.CheckConstraint(condition=Q(work_type__in=WorkType.values),
                                   name="workorders_workorder_work_type_valid"),
            models.CheckConstraint(
                condition=~Q(status=WorkOrderStatus.CLOSED) | Q(completed_date__isnull=False),
                name="workorders_workorder_closed_has_completed_date",
            ),
            models.UniqueConstraint(fields=["pm_schedule", "pm_due_date"], name="workorders_one_per_pm_occurrence"),
        ]

    def __str__(self):
        return self.work_number

    @property
    def is_overdue(self):
        return self.status != WorkOrderStatus.CLOSED and self.due_date < timezone.localdate()


# What each constraint means when a write breaks it (core.db.constraint_errors). The monthly counter
# makes a taken number unreachable; the unique column is the backstop.
CONSTRAINT_ERRORS = {
    "WorkOrder.work_number": ConflictError(errors.WORK_NUMBER_TAKEN,
                                           gettext_lazy("Could not allocate a work number; please retry.")),
}
