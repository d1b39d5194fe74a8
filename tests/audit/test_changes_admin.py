"""The change audit through Django admin: an admin's add, change, delete and actions leave the same
entries as the API, with the session's user as actor and the page's X-Request-ID."""

from datetime import timedelta

import pytest
from django.db.models.fields.files import FieldFile
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.choices import ApprovalStatus, Role
from audit.choices import AuditAction, DataKind
from clinical.choices import AppointmentStatus
from clinical.models import Patient, PatientDoctorMapping, TimeSlot
from devices.models import Hospital
from maintenance.models import PMSchedule
from monitoring.choices import AlertStatus
from organisation.models import Department
from tests.factories import DepartmentFactory, DoctorProfileFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory, VitalSignsFactory
from tests.factories.equipment import DeviceFactory, SparePartRequestFactory, WorkOrderFactory
from tests.factories.monitoring import AlertFactory

pytestmark = pytest.mark.django_db
SECRET = "Patient disclosed a private matter"


def form(instance, **overrides):
    """The instance's values as an admin form posts them (fields the form lacks are ignored)."""
    data = {name: ("" if value is None else value) for name, value in model_to_dict(instance).items()
            if not isinstance(value, FieldFile)}
    return {**data, **overrides}


def latest(changes_of, obj, pk=None):
    return changes_of(obj, pk)[-1]


def check(entry, response, client, *, action, kind, patient=None):
    assert response.status_code == 302, response.content[:3000]
    assert entry.action == action
    assert entry.actor_id == client.user.pk and entry.actor_role == Role.ADMIN
    assert entry.cid == response["X-Request-ID"]
    assert (entry.data_kind, entry.patient_id) == (kind, patient)
    assert SECRET not in str(entry.changes)


def action(client, model_path, name, *pks):
    return client.post(f"/admin/{model_path}/", {"action": name, "_selected_action": [str(pk) for pk in pks]})


def test_department_add_change_delete_and_the_keys_it_clears(admin_web, changes_of):
    response = admin_web.post("/admin/organisation/department/add/", {"name": "Oncology", "description": SECRET})
    department = Department.objects.get(name="Oncology")
    check(latest(changes_of, department), response, admin_web, action=AuditAction.CREATE, kind=DataKind.ORGANISATION)
    response = admin_web.post(f"/admin/organisation/department/{department.pk}/change/",
                              {"name": "Oncology 2", "description": SECRET + "!"})
    entry = latest(changes_of, department)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.ORGANISATION)
    assert entry.changes == {"name": ["Oncology", "Oncology 2"], "description": ["[redacted]", "[redacted]"]}
    nurse = UserFactory(nurse=True, department=department)
    patient = PatientFactory(department=department)
    response = admin_web.post(f"/admin/organisation/department/{department.pk}/delete/", {"post": "yes"})
    check(latest(changes_of, Department, department.pk), response, admin_web, action=AuditAction.DELETE,
          kind=DataKind.ORGANISATION)
    # Django clears the department of its staff and patients with one UPDATE (SET_NULL): recorded too.
    cleared = latest(changes_of, nurse)
    check(cleared, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.ACCOUNTS)
    assert cleared.changes == {"department": [department.pk, None]}
    cleared = latest(changes_of, patient)
    check(cleared, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.PATIENT_RECORD, patient=patient.pk)


def test_hospital_add_and_delete(admin_web, changes_of):
    response = admin_web.post("/admin/devices/hospital/add/", {"name": "North", "kind": "clinic", "address": SECRET,
                                                               "phone": ""})
    hospital = Hospital.objects.get(name="North")
    entry = latest(changes_of, hospital)
    check(entry, response, admin_web, action=AuditAction.CREATE, kind=DataKind.EQUIPMENT)
    assert entry.changes["address"] == [None, "[redacted]"]
    response = admin_web.post(f"/admin/devices/hospital/{hospital.pk}/delete/", {"post": "yes"})
    check(latest(changes_of, Hospital, hospital.pk), response, admin_web, action=AuditAction.DELETE,
          kind=DataKind.EQUIPMENT)


def test_device_change_with_its_nurses(admin_web, changes_of):
    patient = PatientFactory()
    monitor = DeviceFactory(monitor=True, patient=patient)
    nurse = UserFactory(nurse=True)
    response = admin_web.post(f"/admin/devices/device/{monitor.pk}/change/",
                              form(monitor, name="Renamed", assigned_nurses=[nurse.pk]))
    entries = [e for e in changes_of(monitor) if e.cid == response["X-Request-ID"]]
    assert {name for e in entries for name in e.changes} == {"name", "assigned_nurses"}
    for entry in entries:
        check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.EQUIPMENT, patient=patient.pk)


def test_work_order_and_spare_part_changes_run_the_services(admin_web, changes_of):
    order = WorkOrderFactory(priority="medium")
    response = admin_web.post(f"/admin/workorders/workorder/{order.pk}/change/",
                              form(order, priority="high", description=SECRET))
    entry = latest(changes_of, order)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.EQUIPMENT)
    assert entry.changes["priority"] == ["medium", "high"]
    assert entry.changes["description"] == ["[redacted]", "[redacted]"]
    spare = SparePartRequestFactory(quantity=2)
    response = admin_web.post(f"/admin/spareparts/sparepartrequest/{spare.pk}/change/", form(spare, quantity=3))
    entry = latest(changes_of, spare)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.EQUIPMENT)
    assert entry.changes == {"quantity": [2, 3]}


def test_pm_schedule_add_change_delete(admin_web, changes_of):
    device = DeviceFactory()
    data = {"device": device.pk, "title": "Safety", "checklist": "Inspect\nMeasure", "frequency": "monthly",
            "interval": 1, "based_on": "scheduled_date", "lead_days": 0, "active": "on",
            "next_due_date": (timezone.localdate() + timedelta(days=30)).isoformat()}
    response = admin_web.post("/admin/maintenance/pmschedule/add/", data)
    schedule = PMSchedule.objects.get(device=device)
    check(latest(changes_of, schedule), response, admin_web, action=AuditAction.CREATE, kind=DataKind.EQUIPMENT)
    response = admin_web.post(f"/admin/maintenance/pmschedule/{schedule.pk}/change/", {**data, "interval": 2})
    entry = latest(changes_of, schedule)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.EQUIPMENT)
    assert entry.changes == {"interval": [1, 2]}
    response = admin_web.post(f"/admin/maintenance/pmschedule/{schedule.pk}/delete/", {"post": "yes"})
    check(latest(changes_of, PMSchedule, schedule.pk), response, admin_web, action=AuditAction.DELETE,
          kind=DataKind.EQUIPMENT)


def test_user_change_and_approval_action(admin_web, changes_of):
    user = UserFactory(nurse=True, email="old@example.org")
    data = {"username": user.username, "email": "new@example.org", "first_name": "A", "last_name": "B", "phone": "",
            "department": ""}
    response = admin_web.post(f"/admin/accounts/user/{user.pk}/change/", data)
    entry = latest(changes_of, user)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.ACCOUNTS)
    assert entry.changes == {"email": ["old@example.org", "new@example.org"]}  # names are not audited fields
    pending = UserFactory(doctor=True, pending=True)
    response = action(admin_web, "accounts/user", "approve_users", pending.pk)
    entry = latest(changes_of, pending)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.ACCOUNTS)
    assert entry.changes["approval_status"] == [ApprovalStatus.PENDING, ApprovalStatus.APPROVED]


def test_patient_add_and_change(admin_web, changes_of):
    data = {"first_name": "Ada", "last_name": "Lovelace", "sex": "unknown", "hr_low": 50, "hr_high": 120,
            "medical_history": SECRET, "phone": "", "email": "", "address": "", "blood_type": "", "allergies": "",
            "emergency_contact_name": "", "emergency_contact_phone": "", "emergency_contact_relation": ""}
    response = admin_web.post("/admin/clinical/patient/add/", data)
    patient = Patient.objects.get(last_name="Lovelace")
    check(latest(changes_of, patient), response, admin_web, action=AuditAction.CREATE,
          kind=DataKind.PATIENT_RECORD, patient=patient.pk)
    response = admin_web.post(f"/admin/clinical/patient/{patient.pk}/change/", {**data, "hr_high": 130})
    entry = latest(changes_of, patient)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.PATIENT_RECORD, patient=patient.pk)
    assert entry.changes == {"hr_high": [120, 130]}


def test_mapping_add_and_delete(admin_web, changes_of):
    patient, doctor = PatientFactory(), DoctorProfileFactory()
    response = admin_web.post("/admin/clinical/patientdoctormapping/add/", {"patient": patient.pk, "doctor": doctor.pk})
    mapping = PatientDoctorMapping.objects.get(patient=patient)
    check(latest(changes_of, mapping), response, admin_web, action=AuditAction.CREATE, kind=DataKind.CARE_TEAM,
          patient=patient.pk)
    response = admin_web.post(f"/admin/clinical/patientdoctormapping/{mapping.pk}/delete/", {"post": "yes"})
    check(latest(changes_of, PatientDoctorMapping, mapping.pk), response, admin_web, action=AuditAction.DELETE,
          kind=DataKind.CARE_TEAM, patient=patient.pk)


def test_slot_delete_and_appointment_action(admin_web, changes_of):
    slot = TimeSlotFactory()
    response = admin_web.post(f"/admin/clinical/timeslot/{slot.pk}/delete/", {"post": "yes"})
    check(latest(changes_of, TimeSlot, slot.pk), response, admin_web, action=AuditAction.DELETE,
          kind=DataKind.APPOINTMENTS)
    appointment = AppointmentFactory()
    response = action(admin_web, "clinical/appointment", "cancel_appointments", appointment.pk)
    entry = latest(changes_of, appointment)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.APPOINTMENTS,
          patient=appointment.patient_id)
    assert entry.changes["status"] == [AppointmentStatus.SCHEDULED, AppointmentStatus.CANCELLED]


def test_consultation_change_masks_the_diagnosis(admin_web, changes_of):
    consultation = ConsultationFactory(diagnosis="")
    response = admin_web.post(f"/admin/clinical/consultation/{consultation.pk}/change/", {
        "chief_complaint": consultation.chief_complaint, "diagnosis": SECRET, "summary": "", "follow_up_date": "",
        **{f"{prefix}-{key}": value for prefix in ("vital_signs", "prescriptions", "notes")
           for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))}})
    entry = latest(changes_of, consultation)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.CONSULTATIONS,
          patient=consultation.appointment.patient_id)
    assert entry.changes == {"diagnosis": ["", "[redacted]"]}


def test_alert_action_and_read_only_records(admin_web, changes_of):
    alert = AlertFactory()
    response = action(admin_web, "monitoring/alert", "acknowledge_alerts", alert.pk)
    entry = latest(changes_of, alert)
    check(entry, response, admin_web, action=AuditAction.UPDATE, kind=DataKind.ALERTS, patient=alert.patient_id)
    assert entry.changes["status"] == [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]
    vitals = VitalSignsFactory()
    before = len(changes_of(vitals))
    response = admin_web.post(f"/admin/clinical/vitalsigns/{vitals.pk}/change/", {"heart_rate": 99})
    assert response.status_code == 403  # append-only in admin: nothing to audit
    assert len(changes_of(vitals)) == before


def test_a_refused_admin_save_leaves_no_entry(admin_web, changes_of):
    department = DepartmentFactory()
    UserFactory(nurse=True, department=department)
    before = len(changes_of(department))
    response = admin_web.post(f"/admin/organisation/department/{department.pk}/change/", {"name": ""})
    assert response.status_code == 200  # the form is shown again with its error
    assert len(changes_of(department)) == before
