"""`?format=csv` on the lists (core.csv_export): every matching row streamed, the JSON list's filters,
search, ordering and scope, a header, ISO dates, formula cells escaped, errors JSON, the read audit."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from audit.models import AuditEntry
from clinical.models import Patient
from core.testing import assert_error
from devices.models import Device
from devices.views import DeviceViewSet
from tests.factories import user_for_role
from tests.factories.accounts import PatientFactory
from tests.factories.clinical import AppointmentFactory
from tests.factories.equipment import DeviceFactory, HospitalFactory, SparePartRequestFactory, WorkOrderFactory

pytestmark = pytest.mark.django_db


def rows_of(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def bulk_devices(count, *, engineer, hospital, **fields):
    Device.objects.bulk_create(
        [Device(asset_number=f"BULK-{engineer.pk}-{n:06d}", serial_number=f"S{n}", name=f"Pump {n}", model="IP-200",
                hospital=hospital, assigned_engineer=engineer, **fields) for n in range(count)],
        batch_size=2000)


def test_admin_exports_twenty_thousand_devices_in_one_streamed_csv(client_for):
    admin = client_for(Role.ADMIN)
    engineer = user_for_role(Role.ENGINEER)
    bulk_devices(20_000, engineer=engineer, hospital=HospitalFactory(), warranty_expires=datetime.date(2027, 1, 31))
    response = admin.get("/api/devices/?format=csv")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="devices-{today}.csv"'
    assert response.streaming
    rows = rows_of(response)
    assert rows[0] == list(DeviceViewSet.csv_fields)
    assert len(rows) == 20_001  # the header and every row: no page limit
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["asset_number"] == f"BULK-{engineer.pk}-000000"  # the list's ordering (asset_number)
    assert first["warranty_expires"] == "2027-01-31"
    created = datetime.datetime.fromisoformat(first["created_at"])
    assert created.utcoffset() == datetime.timedelta(0) and first["created_at"].endswith("Z")


def test_cells_a_spreadsheet_would_run_are_written_as_text(admin_client):
    names = ["=HYPERLINK(\"http://x\")", "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "Plain - name"]
    for number, name in enumerate(names):
        DeviceFactory(asset_number=f"ESC-{number}", name=name, notes="=cmd|' /C calc'!A0")
    rows = rows_of(admin_client.get("/api/devices/?format=csv&ordering=asset_number"))
    header = rows[0]
    cells = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [row["name"] for row in cells] == ["'" + name for name in names[:-1]] + ["Plain - name"]
    assert {row["notes"] for row in cells} == {"'=cmd|' /C calc'!A0"}
    assert cells[0]["patient"] == ""  # null: an empty cell


def json_ids(client, query):
    ids, url = [], f"/api/devices/?{query}&page_size=100"
    while url:
        body = client.get(url).json()
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids


@pytest.mark.parametrize("query", [
    "ordering=-name", "search=pump 1&ordering=name", "status=maintenance&ordering=-id", "calibration_overdue=true",
])
def test_the_csv_has_the_json_lists_rows_in_its_order(admin_client, query):
    engineer = user_for_role(Role.ENGINEER)
    hospital = HospitalFactory()
    bulk_devices(150, engineer=engineer, hospital=hospital)
    Device.objects.filter(pk__in=Device.objects.order_by("pk")[:40].values("pk")).update(
        status="maintenance", next_calibration_due=datetime.date(2020, 1, 1))
    rows = rows_of(admin_client.get(f"/api/devices/?format=csv&{query}"))
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == json_ids(admin_client, query)
    assert ids  # each query matches something


def test_an_engineers_csv_has_only_their_devices(client_for):
    engineer = client_for(Role.ENGINEER)
    mine = DeviceFactory(assigned_engineer=engineer.user)
    DeviceFactory()  # another engineer's
    rows = rows_of(engineer.get("/api/devices/?format=csv"))
    assert [int(row[0]) for row in rows[1:]] == [mine.pk]


@pytest.mark.parametrize(("role", "url"), [
    (Role.PATIENT, "/api/devices/?format=csv"),
    (Role.NURSE, "/api/spareparts/?format=csv"),
    (Role.DOCTOR, "/api/workorders/?format=csv"),
    (Role.ENGINEER, "/api/patients/?format=csv"),
    (Role.ENGINEER, "/api/appointments/?format=csv"),
])
def test_a_role_that_may_not_list_gets_a_json_403(client_for, role, url):
    response = client_for(role).get(url)
    assert_error(response, 403)
    assert response["Content-Type"] == "application/json"


def test_an_anonymous_csv_request_is_a_json_401(api_client):
    assert_error(api_client.get("/api/devices/?format=csv"), 401)


def test_a_bad_filter_is_a_json_400_naming_it(admin_client):
    response = admin_client.get("/api/devices/?format=csv&calibration_overdue=maybe")
    assert_error(response, 400, fields=["calibration_overdue"])
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("url", ["/api/rooms/?format=csv", "/api/hospitals/?format=csv",
                                 "/api/devices/{id}/?format=csv", "/api/appointments/today/?format=csv",
                                 # views outside the base viewset too (REST_FRAMEWORK's negotiation class)
                                 "/api/health/?format=csv", "/api/dashboard/?format=csv", "/api/?format=csv"])
def test_csv_elsewhere_is_a_406_saying_where_it_is_offered(admin_client, url):
    device = DeviceFactory()
    response = admin_client.get(url.format(id=device.pk))
    assert_error(response, 406, "not_acceptable")
    assert "devices" in response.json()["message"] and "patients" in response.json()["message"]


def test_accept_text_csv_gets_the_csv_too(admin_client):
    DeviceFactory()
    assert len(rows_of(admin_client.get("/api/devices/", HTTP_ACCEPT="text/csv"))) == 2
    assert admin_client.get("/api/devices/").json()["count"] == 1  # JSON stays the default


def test_work_orders_and_spare_parts_export_their_read_fields(admin_client):
    order = WorkOrderFactory(description="-5 degrees in the fridge")
    SparePartRequestFactory(device=order.device, work_order=order)
    orders = rows_of(admin_client.get("/api/workorders/?format=csv"))
    row = dict(zip(orders[0], orders[1], strict=True))
    assert "photo" not in row and "checklist_results" not in row
    assert row["work_number"] == order.work_number and row["description"] == "'-5 degrees in the fridge"
    assert row["is_overdue"] == "false" and row["due_date"] == order.due_date.isoformat()
    parts = rows_of(admin_client.get("/api/spareparts/?format=csv"))
    assert dict(zip(parts[0], parts[1], strict=True))["work_order_number"] == order.work_number


def audit_inserts(queries):
    table = AuditEntry._meta.db_table
    return [query for query in queries if query["sql"].lstrip().upper().startswith(("INSERT", "WITH"))
            and table in query["sql"]]


def test_a_patient_csv_of_twenty_thousand_records_is_audited_in_one_insert(admin_client):
    Patient.objects.bulk_create([Patient(first_name="Bulk", last_name=f"P{n:05d}", medical_record_number=f"CSV-{n:06d}",
                                         date_of_birth=datetime.date(1980, 1, 1)) for n in range(20_000)],
                                batch_size=2000)
    before = AuditEntry.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/api/patients/?format=csv&ordering=last_name")
    inserts = audit_inserts(queries.captured_queries)
    if connection.vendor == "postgresql":
        assert len(inserts) == 1
    else:  # SQLite: as many rows per statement as its parameter limit takes (audit.reads)
        assert 1 <= len(inserts) <= 20
    assert AuditEntry.objects.count() - before == 20_000  # one entry per patient, written before streaming
    rows = rows_of(response)
    assert len(rows) == 20_001 and rows[1][rows[0].index("last_name")] == "P00000"
    entry = AuditEntry.objects.order_by("-pk").filter(patient_id=rows[1][0]).get()
    assert entry.data_kind == "patient_record" and entry.object_pk == rows[1][0]


def test_an_appointment_csv_notes_each_patients_appointments_as_read(client_for):
    admin = client_for(Role.ADMIN)
    first, second = PatientFactory(), PatientFactory()
    for patient in (first, first, second):
        AppointmentFactory(patient=patient)
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    rows = rows_of(admin.get("/api/appointments/?format=csv"))
    assert len(rows) == 4 and rows[0][:3] == ["id", "patient", "patient_name"]
    (seconds,) = [int(row[0]) for row in rows[1:] if int(row[1]) == second.pk]
    entries = AuditEntry.objects.exclude(pk__in=before).filter(data_kind="appointments")
    assert sorted(entries.values_list("patient_id", "object_repr")) == sorted([
        (first.pk, f"2 appointments of patient #{first.pk}"), (second.pk, f"appointment #{seconds}")])


def test_a_nurses_patient_csv_has_only_the_patients_in_their_scope(client_for):
    nurse = client_for(Role.NURSE)
    PatientFactory.create_batch(3)
    json_ids = [row["id"] for row in nurse.get("/api/patients/?page_size=100").json()["results"]]
    rows = rows_of(nurse.get("/api/patients/?format=csv"))
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(json_ids)
    assert len(json_ids) < Patient.objects.count()


def test_the_schema_documents_csv_on_the_lists_that_offer_it(admin_client):
    spec = admin_client.get("/api/schema/?format=json").json()
    for path in ("/api/devices/", "/api/workorders/", "/api/spareparts/", "/api/appointments/", "/api/patients/"):
        operation = spec["paths"][path]["get"]
        assert any(p["name"] == "format" and p["schema"].get("enum") == ["csv"] for p in operation["parameters"]), path
        content = operation["responses"]["200"]["content"]
        assert content["text/csv"]["schema"]["type"] == "string"
        assert "$ref" in content["application/json"]["schema"]  # the JSON page is unchanged
    rooms = spec["paths"]["/api/rooms/"]["get"]
    assert "format" not in {p["name"] for p in rooms["parameters"]}
    assert "text/csv" not in rooms["responses"]["200"]["content"]
    assert "text/csv" in spec["paths"]["/api/reports/reliability/"]["get"]["responses"]["200"]["content"]


def test_audited_rows_without_a_recorder_are_refused_not_streamed_unaudited():
    from django.core.exceptions import ImproperlyConfigured

    from clinical.views import PatientViewSet
    from core import csv_export

    class Unaudited(PatientViewSet):
        csv_record_read = None

    PatientFactory()
    with pytest.raises(ImproperlyConfigured):
        csv_export._note_reads(Unaudited(), Patient.objects.all(), PatientViewSet.read_serializer_class())


def test_a_row_whose_patient_was_not_noted_is_left_out():
    from clinical.serializers import PatientSerializer
    from core import csv_export

    noted, late = PatientFactory(), PatientFactory()  # `late` came to match after the audit's query
    serializer = PatientSerializer()
    rows = list(csv_export._rows(Patient.objects.order_by("pk"), serializer, ["id"], ("pk", {noted.pk})))
    assert rows == [[noted.pk]] and late.pk != noted.pk
