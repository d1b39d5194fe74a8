from core.jobs import JobCommand
from workorders import jobs


class Command(JobCommand):
    help = ("Email each overdue work order's assignee once a day (with an in-app notification; bounded "
            "per run) and print the report as JSON.")
    job_name = "email_overdue_work_orders"
    job = staticmethod(jobs.email_overdue_work_orders)
    job_options = ("today", "limit")
    limit_help = "At most this many work orders (default OVERDUE_NOTICES_MAX_PER_RUN)."
