from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from monitoring.models import Reading
from monitoring.partitions import DEFAULT_PARTITION, ensure_partitions, existing_partitions, month_start
from tests.factories.monitoring import ReadingFactory, monitored_patient

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is PostgreSQL only"),
]


def partitions():
    with connection.cursor() as cursor:
        return existing_partitions(cursor)


def rows_in(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def test_month_arithmetic():
    assert month_start(date(2026, 11, 23)) == date(2026, 11, 1)
    assert month_start(date(2026, 11, 23), 2) == date(2027, 1, 1)
    assert month_start(date(2026, 1, 5), -1) == date(2025, 12, 1)


def test_command_creates_months_ahead_idempotently(capsys):
    call_command("create_reading_partitions", "--months-ahead", "6")
    after_first = partitions()
    call_command("create_reading_partitions", "--months-ahead", "6")
    assert partitions() == after_first
    assert "Created 0 partition(s)" in capsys.readouterr().out


def test_a_month_that_landed_in_the_default_partition_is_moved_out():
    patient, monitor = monitored_patient()
    far = datetime(2030, 5, 17, 12, 0, tzinfo=UTC)
    ReadingFactory(patient=patient, device=monitor, recorded_at=far)
    assert rows_in(DEFAULT_PARTITION) == 1
    created = ensure_partitions(date(2030, 5, 1), months_back=0, months_ahead=0)
    assert created == ["monitoring_reading_y2030m05"]
    assert rows_in(DEFAULT_PARTITION) == 0 and rows_in("monitoring_reading_y2030m05") == 1
    assert Reading.objects.get().recorded_at == far
