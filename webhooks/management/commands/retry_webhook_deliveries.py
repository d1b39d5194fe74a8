from core.jobs import JobCommand
from webhooks import services


class Command(JobCommand):
    help = ("Attempt (or queue, with a broker) every webhook delivery whose next attempt is due, and print "
            "the report as JSON.")
    job_name = "retry_webhook_deliveries"
    job = staticmethod(services.retry_due_deliveries)
    job_options = ("limit",)
    limit_help = f"At most this many deliveries this run (default {services.RETRY_JOB_LIMIT})."
