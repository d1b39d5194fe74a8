"""The change audit of set-based writes (QuerySet.update, bulk_create, the ingest's SQL) and of jobs:
one INSERT of entries per statement whatever the number of rows, no actor and the job run's id for
a job, and nothing written for a change that does not happen."""

import re
from datetime import time, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import Role
from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry
from clinical.choices import AppointmentStatus
from clinical.models import Appointment, BreakGlassGrant, TimeSlot
from devices import services as device_services
from devices.choices import DeviceStatus
from maintenance.models import PMSchedule
from monitoring import services as monitoring_services
from monitoring.choices import AlertStatus
from monitoring.ingest import Batch, ParsedReading
from monitoring.models import Alert
from tests.factories import PatientDoctorMappingFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory
from tests.factories.equipment import DeviceFactory, WorkOrderFactory
from tests.factories.monitoring import AlertFactory, monitored_patient
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
AUDIT_INSERT = re.compile(r'^INSERT INTO "audit_auditentry"', re.IGNORECASE)


def audit_inserts(queries):
    return sum(bool(AUDIT_INSERT.match(query["sql"])) for query in queries.captured_queries)


def job_entries(model, name, **filters):
    entries = list(AuditEntry.objects.filter(content_type__model=model._meta.model_name, **filters))
    assert entries
    for entry in entries:
        assert entry.actor_id is None and entry.actor_name == "" and entry.actor_role == ""
        assert entry.cid.startswith(f"job-{name}-")
    return entries


def test_mark_no_shows_is_recorded_as_the_job(changes_of):
    yesterday = timezone.localdate() - timedelta(days=1)
    appointment = AppointmentFactory(slot=TimeSlotFactory(date=yesterday), status=AppointmentStatus.CONFIRMED)
    call_command("mark_no_shows", stdout=StringIO())
    [entry] = job_entries(Appointment, "mark_no_shows", action=AuditAction.UPDATE)
    assert entry.changes["status"] == [AppointmentStatus.CONFIRMED, AppointmentStatus.NO_SHOW]
    assert (entry.object_id, entry.patient_id, entry.data_kind) == (
        appointment.pk, appointment.patient_id, DataKind.APPOINTMENTS)


def test_reminders_record_the_claim_they_make_with_update(changes_of):
    slot = TimeSlotFactory(date=timezone.localdate() + timedelta(days=1), start_time=time(10, 0),
                           end_time=time(10, 30))
    appointment = AppointmentFactory(slot=slot)
    now = slot.starts_at - timedelta(hours=2)
    call_command("send_appointment_reminders", "--now", now.isoformat(), stdout=StringIO())
    [entry] = job_entries(Appointment, "send_appointment_reminders", action=AuditAction.UPDATE)
    assert entry.object_id == appointment.pk and entry.patient_id == appointment.patient_id
    assert list(entry.changes) == ["reminded_for"] and entry.changes["reminded_for"][0] is None


def test_the_pm_generator_records_its_work_orders_and_schedules_in_one_insert_each():
    engineer = UserFactory(engineer=True)
    today = timezone.localdate()
    schedules = [PMSchedule.objects.create(device=DeviceFactory(assigned_engineer=engineer), title=f"PM {n}",
                                           checklist=["Inspect"], frequency="monthly", next_due_date=today)
                 for n in range(5)]
    with CaptureQueriesContext(connection) as queries:
        call_command("generate_pm_workorders", stdout=StringIO())
    assert audit_inserts(queries) == 2  # the 5 work orders made, the 5 schedules moved
    created = job_entries(WorkOrder, "generate_pm_workorders", action=AuditAction.CREATE)
    assert sorted(e.object_id for e in created) == sorted(WorkOrder.objects.values_list("pk", flat=True))
    assert all(e.changes["status"] == [None, "open"] and e.changes["description"] == [None, "[redacted]"]
               for e in created)
    moved = job_entries(PMSchedule, "generate_pm_workorders", action=AuditAction.UPDATE)
    assert {e.object_id: e.changes["next_due_date"][0] for e in moved} == {s.pk: today.isoformat() for s in schedules}


def test_escalation_records_each_alert_in_one_insert():
    alerts = [AlertFactory(opened_at=timezone.now() - timedelta(hours=1)) for _ in range(4)]
    with CaptureQueriesContext(connection) as queries:
        call_command("escalate_alerts", stdout=StringIO())
    assert audit_inserts(queries) == 1
    entries = job_entries(Alert, "escalate_alerts", action=AuditAction.UPDATE)
    assert sorted(e.object_id for e in entries) == sorted(a.pk for a in alerts)
    for entry in entries:
        assert entry.changes["escalation_level"] == [0, 1] and entry.changes["escalated_at"][0] is None
        assert entry.patient_id == Alert.objects.get(pk=entry.object_id).patient_id


def test_overdue_notices_record_the_day_they_claim():
    order = WorkOrderFactory(due_date=timezone.localdate() - timedelta(days=3))
    today = timezone.localdate()
    call_command("email_overdue_work_orders", "--today", today.isoformat(), stdout=StringIO())
    [entry] = job_entries(WorkOrder, "email_overdue_work_orders", action=AuditAction.UPDATE)
    assert entry.object_id == order.pk and entry.changes == {"overdue_notice_on": [None, today.isoformat()]}


def test_bulk_slots_are_recorded_in_one_insert(client_for):
    doctor = client_for(Role.DOCTOR)
    start = timezone.localdate() + timedelta(days=7)
    with CaptureQueriesContext(connection) as queries:
        response = doctor.post("/api/time-slots/bulk/", {
            "date_from": start.isoformat(), "date_to": (start + timedelta(days=6)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7], "start_time": "09:00", "end_time": "11:00", "slot_minutes": 30})
    assert response.status_code == 201, response.content
    assert audit_inserts(queries) == 1
    entries = AuditEntry.objects.filter(content_type__model="timeslot", action=AuditAction.CREATE)
    assert sorted(e.object_id for e in entries) == sorted(TimeSlot.objects.values_list("pk", flat=True))
    assert len(entries) == 28
    assert {(e.actor_id, e.cid, e.data_kind) for e in entries} == {
        (doctor.user.pk, response["X-Request-ID"], DataKind.APPOINTMENTS)}


def _ingest(monitor, patient, bpms, start):
    readings = [ParsedReading(monitor.id, patient.id, bpm, start + timedelta(seconds=i)) for i, bpm in enumerate(bpms)]
    with CaptureQueriesContext(connection) as queries:
        monitoring_services.readings_ingest(Batch(readings, len(readings)))
    return audit_inserts(queries)


def test_the_ingest_records_alert_states_and_skips_their_telemetry():
    patient, monitor = monitored_patient()
    start = timezone.now() - timedelta(minutes=30)
    assert _ingest(monitor, patient, [130, 131, 132], start) == 1  # the alert opens
    alert = Alert.objects.get()
    [opened] = AuditEntry.objects.filter(content_type__model="alert")
    assert (opened.action, opened.object_id, opened.patient_id, opened.data_kind) == (
        AuditAction.CREATE, alert.pk, patient.pk, DataKind.ALERTS)
    assert opened.changes["status"] == [None, "open"] and "breach_count" not in opened.changes
    # More breaching readings change only the telemetry: no entry, no statement.
    assert _ingest(monitor, patient, [133, 134, 135], start + timedelta(seconds=3)) == 0
    alert.refresh_from_db()
    assert alert.breach_count == 6 and AuditEntry.objects.filter(content_type__model="alert").count() == 1
    # Back inside the band for long enough: resolved by the ingest, one entry, the note masked.
    assert _ingest(monitor, patient, [80] * 40, start + timedelta(seconds=6)) == 1
    resolved = AuditEntry.objects.filter(content_type__model="alert").order_by("id").last()
    assert resolved.action == AuditAction.UPDATE
    assert resolved.changes["status"] == ["open", "resolved"] and resolved.changes["note"] == ["", "[redacted]"]


def test_a_device_key_is_no_actor(admin_client, api_client):
    _patient, monitor = monitored_patient()
    key = admin_client.post(f"/api/devices/{monitor.id}/api-keys/", {"name": "bed"}, format="json").json()["key"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Device {key}")
    start = timezone.now() - timedelta(minutes=5)
    response = api_client.post("/api/records/", [
        {"bpm": 140, "recorded_at": (start + timedelta(seconds=i)).isoformat()} for i in range(3)], format="json")
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get(content_type__model="alert")
    assert (entry.actor_id, entry.actor_role, entry.actor_name) == (None, "device", f"device #{monitor.pk}")
    assert entry.cid == response["X-Request-ID"]


def test_a_rolled_back_write_leaves_no_entry():
    device = DeviceFactory()
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        device_services.device_set_status(device=device, status=DeviceStatus.MAINTENANCE, by=None)
        assert AuditEntry.objects.count() > before  # written in the same transaction ...
        raise RuntimeError
    assert AuditEntry.objects.count() == before  # ... and gone with it
    device.refresh_from_db()
    assert device.status == DeviceStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_a_failed_save_leaves_no_entry_even_outside_a_transaction(changes_of):
    """Autocommit: the update's entry is written after the UPDATE succeeded (post_save), never before."""
    first, second = DeviceFactory(), DeviceFactory()
    second.asset_number = first.asset_number  # unique: the UPDATE fails
    count = len(changes_of(second))
    with pytest.raises(IntegrityError):
        second.save()
    assert len(changes_of(second)) == count


def test_deleting_a_schedule_records_the_work_orders_it_unlinks(changes_of):
    order = WorkOrderFactory()
    schedule = PMSchedule.objects.create(device=order.device, title="PM", checklist=["x"], frequency="monthly",
                                         next_due_date=timezone.localdate())
    WorkOrder.objects.filter(pk=order.pk).update(pm_schedule=schedule)
    schedule_id = schedule.pk
    schedule.delete()
    entry = changes_of(order)[-1]
    assert entry.changes == {"pm_schedule": [schedule_id, None]}
    assert (entry.action, entry.data_kind) == (AuditAction.UPDATE, DataKind.EQUIPMENT)


def test_a_break_glass_grant_is_recorded_without_its_reason(changes_of):
    doctor, patient = UserFactory(doctor=True), PatientFactory()
    grant = BreakGlassGrant.objects.create(user=doctor, patient=patient, reason="Unconscious in the ER, no ID",
                                           expires_at=timezone.now() + timedelta(hours=4))
    [entry] = changes_of(grant)
    assert (entry.action, entry.patient_id, entry.data_kind) == (AuditAction.CREATE, patient.pk, DataKind.BREAK_GLASS)
    assert entry.changes["reason"] == [None, "[redacted]"] and "Unconscious" not in str(entry.changes)


def test_a_resolve_names_who_and_masks_the_note(client_for, changes_of):
    admin = client_for(Role.ADMIN)
    alert = AlertFactory(status=AlertStatus.OPEN)
    response = admin.post(f"/api/alerts/{alert.pk}/resolve/", {"note": "Bed rest"}, format="json")
    assert response.status_code == 200, response.content
    entry = changes_of(alert)[-1]
    assert entry.changes["note"] == ["", "[redacted]"] and entry.changes["resolved_by"] == [None, admin.user.pk]


def test_a_patient_delete_cascades_with_the_patient_on_every_entry_and_no_lookup_per_row():
    def delete(count):
        patient = PatientFactory()
        for _ in range(count):
            PatientDoctorMappingFactory(patient=patient)
            AlertFactory(patient=patient, kind=f"kind-{_}")
        patient_id = patient.pk
        with CaptureQueriesContext(connection) as queries:
            patient.delete()
        entries = AuditEntry.objects.filter(patient_id=patient_id, action=AuditAction.DELETE)
        assert entries.count() == 1 + 2 * count
        assert {e.content_type.model for e in entries} == {"patient", "patientdoctormapping", "alert"}
        return len(queries.captured_queries), audit_inserts(queries)

    (few, few_inserts), (many, many_inserts) = delete(2), delete(5)
    assert many - few == many_inserts - few_inserts == 6  # only the entries' INSERTs grow: no lookup per row


def test_a_bulk_create_entry_reads_as_the_signal_writes_it(changes_of):
    from audit.changes import record_created

    doctor = TimeSlotFactory().doctor
    day = timezone.localdate() + timedelta(days=40)
    saved = TimeSlot.objects.create(doctor=doctor, date=day, start_time=time(9, 0), end_time=time(9, 30))
    [bulk] = TimeSlot.objects.bulk_create([TimeSlot(doctor=doctor, date=day + timedelta(days=1),
                                                    start_time=time(9, 0), end_time=time(9, 30))])
    record_created([bulk])
    by_signal, by_bulk = changes_of(saved)[0].changes, changes_of(bulk)[0].changes
    assert by_signal.pop("id") == [None, saved.pk] and by_bulk.pop("id") == [None, bulk.pk]
    stamps = by_signal.pop("created_at"), by_bulk.pop("created_at")  # auto_now_add: its own instant each
    # ISO 8601 with the offset, as the API's date-times
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", new) for _old, new in stamps)
    assert (by_signal.pop("date"), by_bulk.pop("date")) == (
        [None, day.isoformat()], [None, (day + timedelta(days=1)).isoformat()])
    assert by_signal == by_bulk and set(by_signal) == {"doctor", "start_time", "end_time"}
