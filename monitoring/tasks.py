from celery import shared_task
from django.core.management import call_command


@shared_task
def create_reading_partitions():
    """Daily (idempotent): keep three months of reading partitions ahead on PostgreSQL."""
    call_command("create_reading_partitions")
