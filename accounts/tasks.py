from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from core.jobs import run_job


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(subject, body, recipients):
    """Sent after commit by services; never carries a password."""
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def delete_expired_tokens(*, now=None):
    """One pass of the daily token flush: drop refresh tokens past their expiry from simplejwt's
    outstanding list (their blacklist rows go with them, by cascade), so the tables do not grow
    forever. Idempotent (a second pass finds nothing); bounded by one day's expired tokens, as it
    runs daily. The same query as simplejwt's `manage.py flushexpiredtokens`."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    _, by_model = OutstandingToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return {"deleted": by_model.get(OutstandingToken._meta.label, 0),
            "blacklist_rows_deleted": by_model.get("token_blacklist.BlacklistedToken", 0)}


@shared_task
def flush_expired_tokens():
    """Daily (beat): delete_expired_tokens, logged by core.jobs.run_job."""
    return run_job("flush_expired_tokens", delete_expired_tokens)
