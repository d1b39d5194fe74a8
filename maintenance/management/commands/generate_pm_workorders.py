from core.jobs import JobCommand, positive
from maintenance import services


class Command(JobCommand):
    help = ("Create the PM work orders that are due (each occurrence exactly once; bounded per run) "
            "and print the report as JSON.")
    job_name = "generate_pm_workorders"
    job = staticmethod(services.generate_pm_workorders)
    job_options = ("today",)

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--max-per-schedule", type=positive("max-per-schedule"),
                            help="At most this many occurrences per schedule (default PM_MAX_OCCURRENCES_PER_RUN).")
        parser.add_argument("--max-schedules", type=positive("max-schedules"),
                            help="At most this many schedules (default PM_MAX_SCHEDULES_PER_RUN).")

    def job_kwargs(self, options):
        return {**super().job_kwargs(options), "max_per_schedule": options["max_per_schedule"],
                "max_schedules": options["max_schedules"]}
