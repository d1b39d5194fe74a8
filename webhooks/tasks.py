from celery import shared_task

from core.jobs import run_job
from webhooks import services


@shared_task
def send_webhook_delivery(delivery_pk):
    """One attempt at one delivery (queued after commit by the events sink, and for each retry)."""
    return services.delivery_attempt(delivery_pk)


@shared_task
def retry_webhook_deliveries():
    """The periodic pass (config/jobs.py): queue the deliveries whose next attempt is due."""
    return run_job("retry_webhook_deliveries", services.retry_due_deliveries)
