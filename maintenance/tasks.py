from celery import shared_task

from core.jobs import run_job
from maintenance import services


@shared_task
def generate_pm_workorders():
    """The hourly pass (config's CELERY_BEAT_SCHEDULE): each due PM occurrence becomes one work order."""
    return run_job("generate_pm_workorders", services.generate_pm_workorders)
