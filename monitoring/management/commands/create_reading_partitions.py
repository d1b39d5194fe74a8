from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from monitoring.partitions import ensure_partitions


class Command(BaseCommand):
    help = "Create the monthly partitions of the readings table ahead of time (PostgreSQL; idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=3)
        parser.add_argument("--months-back", type=int, default=1)

    def handle(self, *args, months_ahead, months_back, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: the readings table is not partitioned; nothing to do.")
            return
        created = ensure_partitions(timezone.now().date(), months_back=months_back, months_ahead=months_ahead)
        self.stdout.write(f"Created {len(created)} partition(s): {', '.join(created) or '-'}")
