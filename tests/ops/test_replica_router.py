"""The read replica (core.db_router): which alias each route reads from when DATABASE_REPLICA_URL is set.

The `replica` alias is added here as config/database.py adds it (TEST MIRROR of default): a second
connection to the same test database, so the rows must be committed (transactional tests) and
CaptureQueriesContext on each connection says where every query went."""

import copy
import csv
import io
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from core.db_router import REPLICA, read_alias, reading_from_replica
from devices.models import Device
from monitoring.models import Reading
from tests.factories import PatientDoctorMappingFactory, UserFactory
from tests.factories.equipment import DeviceFactory, HospitalFactory
from tests.factories.monitoring import ReadingFactory, monitored_patient

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    """The alias, as settings make it, pointing at the test database (default's NAME is the test's now)."""
    replica = copy.deepcopy(connections["default"].settings_dict)
    replica["TEST"] = {"MIRROR": "default"}
    connections.settings[REPLICA] = replica
    yield
    with django_db_blocker.unblock():
        connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


READS = ("SELECT", "WITH", "DECLARE")  # DECLARE: a server-side cursor (a CSV export, the report's CSV)


def tables(context):
    """The SQL of each read the connection ran (the tests look for table names in it)."""
    return [query["sql"] for query in context.captured_queries if query["sql"].lstrip().upper().startswith(READS)]


def capture(client, url, **extra):
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections[REPLICA]) as replica:
        response = client.get(url, **extra)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, body[:300]
    return body, tables(primary), tables(replica)


@pytest.fixture
def ward(client_for):
    patient, monitor = monitored_patient()
    doctor = UserFactory(doctor=True)
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    for seconds in (30, 20, 10):
        ReadingFactory(patient=patient, device=monitor, bpm=70 + seconds,
                       recorded_at=timezone.now() - timedelta(seconds=seconds))
    return patient, client_for(doctor)


def test_history_reads_its_readings_from_the_replica_and_authenticates_on_default(ward):
    patient, doctor = ward
    body, primary, replica = capture(doctor, f"/api/records/{patient.pk}/")
    assert b'"bpm":100' in body.replace(b" ", b"")
    assert any(Reading._meta.db_table in sql for sql in replica)
    assert not any(Reading._meta.db_table in sql for sql in primary)
    # The bearer token's user (authentication, before the handler) is read from default.
    assert any("accounts_user" in sql for sql in primary)
    assert not any("accounts_user" in sql for sql in replica)


def test_buckets_read_from_the_replica(ward):
    patient, doctor = ward
    body, primary, replica = capture(doctor, f"/api/records/{patient.pk}/?bucket=1m")
    assert b'"results"' in body
    assert any("monitoring_" in sql for sql in replica)
    assert not any("monitoring_" in sql for sql in primary)


def test_the_reliability_report_and_its_csv_read_from_the_replica(client_for):
    admin = client_for(Role.ADMIN)
    DeviceFactory(asset_number="REP-1")
    today = timezone.localdate().isoformat()
    for query in ("", "&format=csv"):
        body, primary, replica = capture(admin, f"/api/reports/reliability/?from={today}&to={today}{query}")
        assert b"REP-1" in body
        assert any("devices_device" in sql for sql in replica), query
        assert not any("devices_device" in sql for sql in primary), query


def test_fhir_reads_come_from_the_replica(ward):
    patient, doctor = ward
    body, primary, replica = capture(doctor, f"/fhir/Patient/{patient.pk}")
    assert patient.medical_record_number.encode() in body
    assert any("clinical_patient" in sql for sql in replica)
    assert not any("clinical_patient" in sql for sql in primary)


def test_a_lists_csv_export_streams_from_the_replica_but_its_json_page_reads_default(client_for):
    admin = client_for(Role.ADMIN)
    hospital = HospitalFactory()
    Device.objects.bulk_create([Device(asset_number=f"CSV-{n}", serial_number=f"S{n}", name="Pump", model="P",
                                       hospital=hospital) for n in range(5)])
    body, primary, replica = capture(admin, "/api/devices/?format=csv&search=CSV-")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert len(rows) == 1 + 5
    assert any("devices_device" in sql for sql in replica)
    assert not any("devices_device" in sql for sql in primary)
    _body, primary, replica = capture(admin, "/api/devices/?search=CSV-")
    assert replica == []
    assert any("devices_device" in sql for sql in primary)


def test_inside_a_transaction_reads_stay_on_default_and_writes_always_do():
    with reading_from_replica():
        assert read_alias() == REPLICA
        with CaptureQueriesContext(connections[REPLICA]) as replica:
            assert Device.objects.count() == 0
            with transaction.atomic():
                assert read_alias() == "default"
                DeviceFactory()
                assert Device.objects.count() == 1  # its own write, which the replica may not have yet
        assert len(replica.captured_queries) == 1  # the first count only
    assert read_alias() == "default"  # the context ended
    assert Device.objects.all().db == "default"


def test_a_failing_request_leaves_no_replica_context_behind(ward, client_for):
    patient, _doctor = ward
    stranger = client_for(Role.DOCTOR)
    assert stranger.get(f"/api/records/{patient.pk}/").status_code == 404
    assert read_alias() == "default"
