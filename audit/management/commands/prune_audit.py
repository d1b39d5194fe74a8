from datetime import date

from django.core.management.base import CommandError

from audit import retention
from core.jobs import JobCommand


def parse_before(value):
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--before: {value!r} is not a date (YYYY-MM-DD).") from exc


class Command(JobCommand):
    help = ("Retention: write every audit entry older than --before (start of that day, UTC) to a gzip "
            "JSON-lines file (default var/audit/audit-before-<date>-<stamp>.jsonl.gz), fsync it, then delete "
            "exactly those entries in the same transaction and record the prune as an audit entry. The only "
            "way an entry is ever deleted (docs/audit.md). Prints the report as JSON.")
    job_name = "prune_audit"
    job = staticmethod(retention.audit_prune)

    def add_arguments(self, parser):
        parser.add_argument("--before", type=parse_before, required=True,
                            help="Prune entries before this day (YYYY-MM-DD, UTC); not after today.")
        parser.add_argument("--output", help="The export file to create (never overwritten), or a directory "
                                             "for it (default var/audit/).")

    def job_kwargs(self, options):
        return {"before": options["before"], "output": options["output"]}

    def handle(self, *args, **options):
        try:  # the refusals first, so a refused run is not logged as a failed job
            retention.check_prune(before=options["before"], output=options["output"])
            super().handle(*args, **options)
        except retention.RetentionError as exc:
            raise CommandError(str(exc)) from exc
        report = self.report
        if report["pruned"]:
            self.stdout.write(f"Pruned {report['pruned']} audit entries before {report['before']}; "
                              f"exported to {report['file']}.")
        else:
            self.stdout.write(f"No audit entries before {report['before']}: nothing exported or deleted.")
