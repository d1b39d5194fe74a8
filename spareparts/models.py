from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from core.db import ConflictError
from core.models import TrackedModel
from spareparts import errors
from spareparts.choices import SparePartStatus


class SparePartRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Admin: all; engineer: the requests they made; anyone else: nothing."""
        role = getattr(user, "role", None)
        if role == Role.ADMIN:
            return self.all()
        if role == Role.ENGINEER:
            return self.filter(requested_by=user)
        return self.none()

    def with_details(self):
        return self.select_related("device", "work_order", "requested_by", "decided_by")


class SparePartRequest(TrackedModel):
    request_number = models.CharField(max_length=32, unique=True, editable=False)
    part_name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    quantity = models.PositiveIntegerField()
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="spare_part_requests",
                               db_index=False)
    work_order = models.ForeignKey("workorders.WorkOrder", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="spare_part_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="spare_part_requests", db_index=False)
    status = models.CharField(max_length=16, choices=SparePartStatus.choices, default=SparePartStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = SparePartRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The scope (engineer: requested_by), the device and status filters with the default order,
        # and the ?ordering= fields with the id: index ranges LIMIT 50. Search: migration 0003.
        indexes = [
            models.Index(fields=["created_at", "id"], name="spareparts_created_id"),
            models.Index(fields=["requested_by", "created_at", "id"], name="spareparts_requester_created"),
            models.Index(fields=["device", "created_at", "id"], name="spareparts_device_created"),
            models.Index(fields=["status", "created_at", "id"], name="spareparts_status_created"),
            models.Index(fields=["updated_at", "id"], name="spareparts_updated_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="spareparts_request_quantity_positive"),
            models.CheckConstraint(condition=Q(status__in=SparePartStatus.values),
                                   name="spareparts_request_status_valid"),
            models.CheckConstraint(
                condition=Q(status=SparePartStatus.PENDING, decided_at__isnull=True)
                | (~Q(status=SparePartStatus.PENDING) & Q(decided_at__isnull=False)),
                name="spareparts_request_decided_iff_not_pending",
            ),
        ]

    def __str__(self):
        return self.request_number


# What each constraint means when a write breaks it (core.db.constraint_errors). The monthly counter
# makes a taken number unreachable; the unique column is the backstop.
CONSTRAINT_ERRORS = {
    "SparePartRequest.request_number": ConflictError(
        errors.REQUEST_NUMBER_TAKEN, gettext_lazy("Could not allocate a request number; please retry.")),
}
