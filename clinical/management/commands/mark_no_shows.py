from clinical import jobs
from core.jobs import JobCommand


class Command(JobCommand):
    help = ("Mark as no_show the appointments never started whose slot ended over 30 minutes ago (bounded "
            "per run) and print the report as JSON.")
    job_name = "mark_no_shows"
    job = staticmethod(jobs.mark_no_shows)
    job_options = ("now", "limit")
    limit_help = "At most this many appointments (default NO_SHOW_MAX_PER_RUN)."
