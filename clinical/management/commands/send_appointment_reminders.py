from clinical import jobs
from clinical.management.commands._options import moment, positive
from core.jobs import JobCommand


class Command(JobCommand):
    help = ("Send the reminders of appointments starting within 24 hours (once per start time; bounded "
            "per run) and print the report as JSON.")
    job_name = "send_appointment_reminders"
    job = staticmethod(jobs.send_appointment_reminders)

    def add_arguments(self, parser):
        parser.add_argument("--now", type=moment, help="Run as if it were this moment (ISO date-time).")
        parser.add_argument("--limit", type=positive("limit"),
                            help="At most this many appointments (default APPOINTMENT_REMINDERS_MAX_PER_RUN).")

    def job_kwargs(self, options):
        return {"now": options["now"], "limit": options["limit"]}
