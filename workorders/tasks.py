from celery import shared_task

from core.jobs import run_job
from workorders import jobs


@shared_task
def email_overdue_work_orders():
    """Hourly (beat): one email a day per overdue work order to its assignee (the first pass of
    each day sends; the others find them notified)."""
    return run_job("email_overdue_work_orders", jobs.email_overdue_work_orders)
