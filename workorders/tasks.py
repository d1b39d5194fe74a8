from celery import shared_task

from core.jobs import run_job
from workorders import jobs


@shared_task
def email_overdue_work_orders():
    """Hourly (beat): one email a day per overdue work order to its assignee (the first pass from
    07:00 local sends the day's notices; the others find them sent)."""
    return run_job("email_overdue_work_orders", jobs.email_overdue_work_orders)
