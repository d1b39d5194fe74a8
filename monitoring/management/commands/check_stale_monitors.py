from core.jobs import JobCommand
from monitoring import stale


class Command(JobCommand):
    help = ("Silent monitors: raise one technical alert, corrective work order and downtime for each assigned "
            "monitor that has sent nothing for MONITOR_STALE_SECONDS, and close them when data flows again "
            "(idempotent; bounded per run). Prints the report as JSON.")
    job_name = "check_stale_monitors"
    job = staticmethod(stale.check_stale_monitors)
    job_options = ("now", "limit")
    limit_help = "At most this many monitors each way (default MONITOR_STALE_MAX_PER_RUN, 500)."
