from django.db import models


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"


class BasedOn(models.TextChoices):
    # The next occurrence counts from the previous due date, whenever the work was done...
    SCHEDULED_DATE = "scheduled_date", "Scheduled date"
    # ...or from the day the previous PM work order closed (created only once it has closed).
    COMPLETED_DATE = "completed_date", "Completed date"


INTERVAL_MIN, INTERVAL_MAX = 1, 365
LEAD_DAYS_MIN, LEAD_DAYS_MAX = 0, 90
CHECKLIST_MIN_STEPS, CHECKLIST_MAX_STEPS = 1, 50
NEXT_DUE_MAX_YEARS = 10  # a due date further ahead is a typo, not a plan
