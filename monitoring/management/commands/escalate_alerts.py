from core.jobs import JobCommand
from monitoring.escalation import escalate_alerts


class Command(JobCommand):
    help = (
        "Escalate open alerts nobody acknowledged in time (critical 5 minutes, warning 15; idempotent). "
        "The same pass as the Celery beat job that runs every minute; prints its report."
    )
    job_name = "escalate_alerts"
    job = staticmethod(escalate_alerts)
    job_options = ("now", "limit")
    limit_help = "At most this many alerts (default ALERT_ESCALATION_MAX_PER_RUN, 1000)."
