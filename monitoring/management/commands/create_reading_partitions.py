from core.jobs import JobCommand
from monitoring.tasks import create_partitions_ahead


class Command(JobCommand):
    help = (
        "Create the monthly partitions of the readings table ahead of time (PostgreSQL; idempotent). "
        "The same pass as the daily Celery beat job; prints its report."
    )
    job_name = "create_reading_partitions"
    job = staticmethod(create_partitions_ahead)

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=3)
        parser.add_argument("--months-back", type=int, default=1)

    def job_kwargs(self, options):
        return {"months_ahead": options["months_ahead"], "months_back": options["months_back"]}

    def handle(self, *args, **options):
        super().handle(*args, **options)
        # The summary line operators (and tests/monitoring/test_partitions.py) read.
        created = self.report["created"]
        self.stdout.write(f"Created {len(created)} partition(s): {', '.join(created) or '-'}")
