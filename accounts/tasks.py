from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.core.management import call_command


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(subject, body, recipients):
    """Sent after commit by services; never carries a password."""
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@shared_task
def flush_expired_tokens():
    """Daily: drop expired refresh tokens from the blacklist tables (simplejwt's own command)."""
    call_command("flushexpiredtokens")
