from clinical import jobs
from core.jobs import JobCommand


class Command(JobCommand):
    help = ("Send the reminders of appointments starting within 24 hours (once per start time; bounded "
            "per run) and print the report as JSON.")
    job_name = "send_appointment_reminders"
    job = staticmethod(jobs.send_appointment_reminders)
    job_options = ("now", "limit")
    limit_help = "At most this many appointments (default APPOINTMENT_REMINDERS_MAX_PER_RUN)."
