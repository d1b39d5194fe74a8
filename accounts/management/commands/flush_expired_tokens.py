from accounts.tasks import delete_expired_tokens
from core.jobs import JobCommand


class Command(JobCommand):
    help = "Delete refresh tokens past their expiry (and their blacklist rows); idempotent. Prints the report."
    job_name = "flush_expired_tokens"
    job = staticmethod(delete_expired_tokens)
