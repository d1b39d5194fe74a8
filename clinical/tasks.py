from celery import shared_task

from clinical import jobs
from core.jobs import run_job
from core.sms import send_sms


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_sms_task(to, body):
    """One text through settings.SMS_BACKEND, sent after commit by the reminders job. A gateway that
    fails or answers non-2xx raises an OSError (core.sms.SmsGatewayError): retried with backoff."""
    send_sms(to, body)


@shared_task
def send_appointment_reminders():
    """Every 15 minutes (beat): reminders for appointments starting within 24 hours, once per start."""
    return run_job("send_appointment_reminders", jobs.send_appointment_reminders)


@shared_task
def mark_no_shows():
    """Every 5 minutes (beat): appointments whose slot ended over 30 minutes ago unattended -> no_show."""
    return run_job("mark_no_shows", jobs.mark_no_shows)
