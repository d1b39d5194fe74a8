from django.db import models


class WorkType(models.TextChoices):
    CORRECTIVE = "CM", "Corrective maintenance"
    PREVENTIVE = "PM", "Preventive maintenance"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


# `?ordering=priority` sorts by urgency, not alphabetically.
PRIORITY_RANK = models.Case(
    *(models.When(priority=priority, then=rank) for rank, priority in enumerate(Priority)),
    output_field=models.IntegerField(),
)


class WorkOrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    CLOSED = "closed", "Closed"


# open -> in_progress -> closed; closed is final.
STATUS_TRANSITIONS = {
    WorkOrderStatus.OPEN: {WorkOrderStatus.IN_PROGRESS},
    WorkOrderStatus.IN_PROGRESS: {WorkOrderStatus.CLOSED},
    WorkOrderStatus.CLOSED: set(),
}

# Days from the report to the due date when the reporter gives none.
DUE_DAYS_BY_PRIORITY = {
    Priority.CRITICAL: 1,
    Priority.HIGH: 3,
    Priority.MEDIUM: 7,
    Priority.LOW: 14,
}
