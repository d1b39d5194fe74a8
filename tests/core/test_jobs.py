import pytest
from django.conf import settings

from accounts.tasks import flush_expired_tokens
from config.celery import app
from monitoring.tasks import create_reading_partitions

pytestmark = pytest.mark.django_db


def test_every_scheduled_job_is_a_registered_task():
    app.loader.import_default_modules()
    for job in settings.CELERY_BEAT_SCHEDULE.values():
        assert job["task"] in app.tasks, job


def test_jobs_run_their_commands():
    from unittest import mock

    with mock.patch("accounts.tasks.call_command") as flush, mock.patch("monitoring.tasks.call_command") as parts:
        flush_expired_tokens.delay()
        create_reading_partitions.delay()
    flush.assert_called_once_with("flushexpiredtokens")
    parts.assert_called_once_with("create_reading_partitions")
