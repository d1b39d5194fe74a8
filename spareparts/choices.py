from django.db import models


class SparePartStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


# Only a pending request is decided, once.
STATUS_TRANSITIONS = {
    SparePartStatus.PENDING: {SparePartStatus.APPROVED, SparePartStatus.REJECTED},
    SparePartStatus.APPROVED: set(),
    SparePartStatus.REJECTED: set(),
}
