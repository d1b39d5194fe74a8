"""The change audit through the API: each audited model's create, update or delete leaves its entry
with the caller (a JWT's user), the response's X-Request-ID, the patient, the data kind and the
changes old -> new, free text masked."""

from datetime import time, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import ApprovalStatus, Role
from audit.choices import AuditAction, DataKind
from clinical.choices import AppointmentStatus
from clinical.models import Appointment, Patient, PatientDocument
from devices.models import Hospital, Room
from maintenance.models import PMSchedule
from monitoring.choices import AlertStatus
from organisation.models import Department
from tests.factories import DEFAULT_PASSWORD, DoctorProfileFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory
from tests.factories.equipment import DeviceFactory, HospitalFactory, SparePartRequestFactory
from tests.factories.monitoring import AlertFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db
SECRET = "Patient disclosed a private matter"


def only(entries, action):
    found = [entry for entry in entries if entry.action == action]
    assert len(found) == 1, [(e.action, e.changes) for e in entries]
    return found[0]


def check(entry, response, *, kind, patient=None):
    """The columns every API entry carries: who (the token's user), which request, which patient."""
    user = response.wsgi_request.user
    assert entry.actor_id == user.pk and entry.actor_role == user.role
    assert entry.actor_name == (user.get_full_name() or user.username)
    assert entry.cid == response["X-Request-ID"]
    assert entry.data_kind == kind
    assert entry.patient_id == patient
    assert SECRET not in str(entry.changes) and SECRET not in entry.object_repr


def test_department_create_and_delete(admin_client, changes_of):
    response = admin_client.post("/api/departments/", {"name": "Oncology", "description": SECRET})
    department = Department.objects.get(pk=response.json()["id"])
    entry = only(changes_of(department), AuditAction.CREATE)
    check(entry, response, kind=DataKind.ORGANISATION)
    assert entry.changes["name"] == [None, "Oncology"]
    assert entry.changes["description"] == [None, "[redacted]"]
    assert entry.object_repr == f"department #{department.pk}"
    response = admin_client.delete(f"/api/departments/{department.pk}/")
    assert response.status_code == 204
    check(only(changes_of(Department, department.pk), AuditAction.DELETE), response, kind=DataKind.ORGANISATION)


def test_hospital_update_masks_the_address(admin_client, changes_of):
    hospital = HospitalFactory(name="St Mary", address="1 Main Street")
    response = admin_client.patch(f"/api/hospitals/{hospital.pk}/", {"name": "St Mary's", "address": SECRET},
                                  format="json")
    assert response.status_code == 200
    entry = only(changes_of(hospital), AuditAction.UPDATE)
    check(entry, response, kind=DataKind.EQUIPMENT)
    assert entry.changes == {"name": ["St Mary", "St Mary's"], "address": ["[redacted]", "[redacted]"]}


def test_room_create(admin_client, changes_of):
    hospital = HospitalFactory()
    response = admin_client.post("/api/rooms/", {"hospital": hospital.pk, "number": "B12", "name": "Ward", "floor": 2})
    assert response.status_code == 201, response.content
    entry = only(changes_of(Room, response.json()["id"]), AuditAction.CREATE)
    check(entry, response, kind=DataKind.EQUIPMENT)
    assert entry.changes["hospital"] == [None, hospital.pk] and entry.changes["number"] == [None, "B12"]


def test_device_update_and_its_nurses(admin_client, changes_of):
    patient = PatientFactory()
    monitor = DeviceFactory(monitor=True, patient=patient, notes="")
    nurse = UserFactory(nurse=True)
    response = admin_client.patch(f"/api/devices/{monitor.pk}/", {"notes": SECRET, "assigned_nurses": [nurse.pk]},
                                  format="json")
    assert response.status_code == 200, response.content
    entries = [e for e in changes_of(monitor) if e.action == AuditAction.UPDATE]
    for entry in entries:
        check(entry, response, kind=DataKind.EQUIPMENT, patient=patient.pk)
    fields = {name for entry in entries for name in entry.changes}
    assert fields == {"notes", "assigned_nurses"}
    notes = next(e for e in entries if "notes" in e.changes)
    assert notes.changes["notes"] == ["", "[redacted]"]
    nurses = next(e for e in entries if "assigned_nurses" in e.changes)
    assert nurses.changes["assigned_nurses"]["operation"] == "add"


def test_work_order_create(client_for, changes_of):
    engineer = client_for(Role.ENGINEER)
    device = DeviceFactory(assigned_engineer=engineer.user)
    response = engineer.post("/api/workorders/", {"device": device.pk, "description": SECRET, "work_type": "CM",
                                                      "priority": "high"}, format="json")
    assert response.status_code == 201, response.content
    entry = only(changes_of(WorkOrder, response.json()["id"]), AuditAction.CREATE)
    check(entry, response, kind=DataKind.EQUIPMENT)
    assert entry.changes["description"] == [None, "[redacted]"] and entry.changes["status"] == [None, "open"]


def test_spare_part_approval(admin_client, changes_of):
    spare = SparePartRequestFactory()
    response = admin_client.post(f"/api/spareparts/{spare.pk}/approve/", {"decision_note": SECRET}, format="json")
    assert response.status_code == 200, response.content
    entry = only(changes_of(spare), AuditAction.UPDATE)
    check(entry, response, kind=DataKind.EQUIPMENT)
    assert entry.changes["status"] == ["pending", "approved"]
    assert entry.changes["decided_by"] == [None, admin_client.user.pk]
    assert entry.changes["decision_note"] == ["", "[redacted]"]


def test_pm_schedule_create(admin_client, changes_of):
    device = DeviceFactory()
    response = admin_client.post("/api/pm-schedules/", {
        "device": device.pk, "title": "Safety check", "checklist": ["Inspect"], "frequency": "monthly",
        "next_due_date": (timezone.localdate() + timedelta(days=30)).isoformat()}, format="json")
    assert response.status_code == 201, response.content
    entry = only(changes_of(PMSchedule, response.json()["id"]), AuditAction.CREATE)
    check(entry, response, kind=DataKind.EQUIPMENT)
    assert entry.changes["frequency"] == [None, "monthly"]


def test_user_approval_records_the_flags_not_the_bookkeeping(admin_client, changes_of):
    user = UserFactory(nurse=True, pending=True)
    response = admin_client.post(f"/api/users/{user.pk}/approve/")
    assert response.status_code == 200, response.content
    entry = changes_of(user)[-1]
    check(entry, response, kind=DataKind.ACCOUNTS)
    assert entry.action == AuditAction.UPDATE
    assert entry.changes == {"approval_status": [ApprovalStatus.PENDING, ApprovalStatus.APPROVED],
                             "is_active": [False, True]}


def test_a_sign_in_is_not_a_change(api_client, changes_of):
    user = UserFactory(nurse=True)
    before = len(changes_of(user))
    response = api_client.post("/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.last_login is not None
    assert len(changes_of(user)) == before  # last_login is bookkeeping


def test_patient_update_masks_the_history(admin_client, changes_of):
    patient = PatientFactory(medical_history="Asthma", phone="")
    response = admin_client.patch(f"/api/patients/{patient.pk}/",
                                  {"medical_history": SECRET, "phone": "+14155550100"}, format="json")
    assert response.status_code == 200, response.content
    entry = only(changes_of(patient), AuditAction.UPDATE)
    check(entry, response, kind=DataKind.PATIENT_RECORD, patient=patient.pk)
    assert entry.changes == {"medical_history": ["[redacted]", "[redacted]"], "phone": ["", "+14155550100"]}


def test_patient_create(admin_client, changes_of):
    response = admin_client.post("/api/patients/", {"first_name": "Ada", "last_name": "Lovelace",
                                                    "allergies": SECRET}, format="json")
    assert response.status_code == 201, response.content
    patient = Patient.objects.get(pk=response.json()["id"])
    entry = only(changes_of(patient), AuditAction.CREATE)
    check(entry, response, kind=DataKind.PATIENT_RECORD, patient=patient.pk)
    assert entry.changes["allergies"] == [None, "[redacted]"]


def test_mapping_create(admin_client, changes_of):
    from clinical.models import PatientDoctorMapping

    patient, doctor = PatientFactory(), DoctorProfileFactory()
    response = admin_client.post("/api/mappings/", {"patient": patient.pk, "doctor": doctor.pk})
    assert response.status_code == 201, response.content
    entry = only(changes_of(PatientDoctorMapping, response.json()["id"]), AuditAction.CREATE)
    check(entry, response, kind=DataKind.CARE_TEAM, patient=patient.pk)
    assert entry.changes["doctor"] == [None, doctor.pk]


def test_time_slot_create_and_delete(client_for, changes_of):
    doctor = client_for(Role.DOCTOR)
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = doctor.post("/api/time-slots/", {"date": day, "start_time": "09:00", "end_time": "09:30"})
    assert response.status_code == 201, response.content
    slot_id = response.json()["id"]
    from clinical.models import TimeSlot

    check(only(changes_of(TimeSlot, slot_id), AuditAction.CREATE), response, kind=DataKind.APPOINTMENTS)
    response = doctor.delete(f"/api/time-slots/{slot_id}/")
    assert response.status_code == 204
    check(only(changes_of(TimeSlot, slot_id), AuditAction.DELETE), response, kind=DataKind.APPOINTMENTS)


def test_appointment_booking_and_cancel(admin_client, changes_of):
    patient, slot = PatientFactory(), TimeSlotFactory()
    response = admin_client.post("/api/appointments/", {"patient": patient.pk, "slot": slot.pk, "reason": SECRET},
                                 format="json")
    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(pk=response.json()["id"])
    entry = only(changes_of(appointment), AuditAction.CREATE)
    check(entry, response, kind=DataKind.APPOINTMENTS, patient=patient.pk)
    assert entry.changes["reason"] == [None, "[redacted]"]
    response = admin_client.post(f"/api/appointments/{appointment.pk}/cancel/", {"reason": SECRET}, format="json")
    assert response.status_code == 200, response.content
    entry = only(changes_of(appointment), AuditAction.UPDATE)
    check(entry, response, kind=DataKind.APPOINTMENTS, patient=patient.pk)
    assert entry.changes["status"] == [AppointmentStatus.SCHEDULED, AppointmentStatus.CANCELLED]


def test_consultation_and_its_records(client_for, changes_of):
    from clinical.models import Consultation, ConsultationNote, Prescription, VitalSigns

    doctor = client_for(Role.DOCTOR)
    patient = PatientFactory()
    slot = TimeSlotFactory(doctor=doctor.user.doctor_profile, date=timezone.localdate(), start_time=time(0, 0),
                           end_time=time(0, 1))
    appointment = AppointmentFactory(slot=slot, patient=patient, status=AppointmentStatus.CONFIRMED)
    response = doctor.post("/api/consultations/", {"appointment": appointment.pk, "chief_complaint": SECRET})
    assert response.status_code == 201, response.content
    consultation_id = response.json()["id"]
    entry = only(changes_of(Consultation, consultation_id), AuditAction.CREATE)
    check(entry, response, kind=DataKind.CONSULTATIONS, patient=patient.pk)
    assert entry.changes["chief_complaint"] == [None, "[redacted]"]
    base = f"/api/consultations/{consultation_id}"
    for path, body, model in [("vital-signs", {"heart_rate": 70}, VitalSigns),
                              ("prescriptions", {"medication": SECRET, "dosage": SECRET, "frequency": SECRET,
                                                 "route": SECRET, "instructions": SECRET}, Prescription),
                              ("notes", {"note_type": "plan", "content": SECRET}, ConsultationNote)]:
        response = doctor.post(f"{base}/{path}/", body, format="json")
        assert response.status_code == 201, (path, response.content)
        entry = only(changes_of(model, response.json()["id"]), AuditAction.CREATE)
        check(entry, response, kind=DataKind.CONSULTATIONS, patient=patient.pk)
        for name in set(body) - {"heart_rate", "note_type"}:  # what was prescribed is clinical content too
            assert entry.changes[name] == [None, "[redacted]"], (path, name)


def test_document_upload(admin_client, changes_of):
    patient = PatientFactory()
    response = admin_client.post(f"/api/patients/{patient.pk}/documents/", {
        "file": SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf"),
        "title": SECRET}, format="multipart")
    assert response.status_code == 201, response.content
    document = PatientDocument.objects.get(pk=response.json()["id"])
    entry = only(changes_of(document), AuditAction.CREATE)
    check(entry, response, kind=DataKind.DOCUMENTS, patient=patient.pk)
    assert entry.changes["title"] == [None, "[redacted]"] and entry.changes["original_name"] == [None, "[redacted]"]
    document.file.delete(save=False)


def test_alert_acknowledge(client_for, changes_of):
    admin = client_for(Role.ADMIN)
    alert = AlertFactory()
    response = admin.post(f"/api/alerts/{alert.pk}/acknowledge/")
    assert response.status_code == 200, response.content
    entry = only(changes_of(alert), AuditAction.UPDATE)
    check(entry, response, kind=DataKind.ALERTS, patient=alert.patient_id)
    assert entry.changes["status"] == [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]


def test_a_refused_write_leaves_no_entry(admin_client, changes_of):
    existing = HospitalFactory(name="Taken")
    before = Hospital.objects.count()
    response = admin_client.post("/api/departments/", {"name": ""})
    assert response.status_code == 400
    alert = AlertFactory(status=AlertStatus.RESOLVED, resolved_at=timezone.now())
    assert admin_client.post(f"/api/alerts/{alert.pk}/acknowledge/").status_code == 409
    assert changes_of(alert) == [e for e in changes_of(alert) if e.action == AuditAction.CREATE]
    assert Hospital.objects.count() == before and len(changes_of(existing)) == 1
