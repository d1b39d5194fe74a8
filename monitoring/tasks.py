from celery import shared_task
from django.db import connection
from django.utils import timezone

from core.jobs import run_job
from monitoring import escalation, stale
from monitoring.partitions import ensure_partitions


def create_partitions_ahead(*, months_ahead=3, months_back=1, today=None):
    """One pass of the partition job: the readings table's monthly partitions from months_back
    before this month to months_ahead after it (PostgreSQL only; SQLite has no partitions).
    Idempotent (existing months are skipped) and bounded (at most months_back + months_ahead + 1)."""
    if connection.vendor != "postgresql":
        return {"created": [], "skipped": "not PostgreSQL: the readings table is not partitioned"}
    created = ensure_partitions(today or timezone.now().date(), months_back=months_back, months_ahead=months_ahead)
    return {"created": created}


@shared_task
def create_reading_partitions():
    """Daily (beat): create_partitions_ahead, logged by core.jobs.run_job."""
    return run_job("create_reading_partitions", create_partitions_ahead)


@shared_task
def escalate_alerts():
    """Every minute (beat): monitoring.escalation.escalate_alerts, logged by core.jobs.run_job."""
    return run_job("escalate_alerts", escalation.escalate_alerts)


@shared_task
def check_stale_monitors():
    """Every minute (beat): monitoring.stale.check_stale_monitors, logged by core.jobs.run_job."""
    return run_job("check_stale_monitors", stale.check_stale_monitors)
