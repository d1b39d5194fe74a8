from clinical import jobs
from clinical.management.commands._options import moment, positive
from core.jobs import JobCommand


class Command(JobCommand):
    help = ("Mark as no_show the appointments never started whose slot ended over 30 minutes ago (bounded "
            "per run) and print the report as JSON.")
    job_name = "mark_no_shows"
    job = staticmethod(jobs.mark_no_shows)

    def add_arguments(self, parser):
        parser.add_argument("--now", type=moment, help="Run as if it were this moment (ISO date-time).")
        parser.add_argument("--limit", type=positive("limit"),
                            help="At most this many appointments (default NO_SHOW_MAX_PER_RUN).")

    def job_kwargs(self, options):
        return {"now": options["now"], "limit": options["limit"]}
