"""Django admin is a second door, not a way around the API's rules: the change forms of final
records change nothing, history is append-only, and state changes are actions running the services."""

import os
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.choices import ApprovalStatus, Role
from clinical.choices import AppointmentStatus, ConsultationStatus
from clinical.models import AppointmentHistory, VitalSigns
from devices.choices import DeviceStatus
from monitoring.choices import AlertStatus
from spareparts.choices import SparePartStatus
from tests.factories import DepartmentFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory
from tests.factories.equipment import DeviceFactory, SparePartRequestFactory, WorkOrderFactory
from tests.factories.monitoring import AlertFactory
from workorders.choices import Priority, WorkOrderStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    client = Client()
    client.user = UserFactory(admin=True, is_superuser=True)
    client.force_login(client.user)
    return client


def _action(site, path, action, *objs):
    return site.post(path, {"action": action, "_selected_action": [obj.pk for obj in objs]})


# --- Final records are read-only ------------------------------------------------------------------

def test_closed_work_order_cannot_be_changed_in_admin(site):
    work_order = WorkOrderFactory(status=WorkOrderStatus.CLOSED, technical_action="Replaced fuse",
                                  completed_date=timezone.localdate())
    url = f"/admin/workorders/workorder/{work_order.pk}/change/"
    page = site.get(url)
    assert page.status_code == 200 and b'name="description"' not in page.content  # a view, not a form
    response = site.post(url, {"description": "Rewritten", "technical_action": "Nothing", "priority": Priority.LOW,
                               "work_type": work_order.work_type, "due_date": work_order.due_date.isoformat()})
    assert response.status_code == 403
    work_order.refresh_from_db()
    assert (work_order.description, work_order.technical_action, work_order.priority) == (
        "Alarm does not stop", "Replaced fuse", Priority.MEDIUM)


def test_open_work_order_edits_and_actions_go_through_the_services(site):
    work_order = WorkOrderFactory()
    data = {"description": "Alarm and display", "work_type": work_order.work_type, "priority": Priority.HIGH,
            "assigned_to": work_order.assigned_to_id, "due_date": work_order.due_date.isoformat(),
            "technical_action": ""}
    response = site.post(f"/admin/workorders/workorder/{work_order.pk}/change/", data)
    assert response.status_code == 302, response.content
    work_order.refresh_from_db()
    assert (work_order.description, work_order.priority) == ("Alarm and display", Priority.HIGH)
    # Closing needs the technical action (the service's rule): refused and unchanged.
    _action(site, "/admin/workorders/workorder/", "close_work_orders", work_order)
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.OPEN
    _action(site, "/admin/workorders/workorder/", "start_work_orders", work_order)
    work_order.refresh_from_db()
    assert work_order.status == WorkOrderStatus.IN_PROGRESS


def test_completed_consultation_and_its_records_are_read_only(site):
    consultation = ConsultationFactory(status=ConsultationStatus.COMPLETED, diagnosis="Angina",
                                       completed_at=timezone.now())
    response = site.post(f"/admin/clinical/consultation/{consultation.pk}/change/",
                         {"diagnosis": "Rewritten", "status": ConsultationStatus.OPEN, "chief_complaint": "x"})
    assert response.status_code == 403
    consultation.refresh_from_db()
    assert (consultation.diagnosis, consultation.status) == ("Angina", ConsultationStatus.COMPLETED)
    added = site.post("/admin/clinical/vitalsigns/add/", {"consultation": consultation.pk, "heart_rate": 80})
    assert added.status_code == 403
    assert not VitalSigns.objects.exists()
    for model in ("prescription", "consultationnote"):
        assert site.get(f"/admin/clinical/{model}/add/").status_code == 403


def test_open_consultation_text_is_edited_through_the_service_but_never_its_status(site):
    consultation = ConsultationFactory()
    response = site.post(f"/admin/clinical/consultation/{consultation.pk}/change/", {
        "chief_complaint": "Headache", "diagnosis": "Migraine", "summary": "", "follow_up_date": "",
        "status": ConsultationStatus.COMPLETED,
        **{f"{prefix}-{key}": value for prefix in ("vital_signs", "prescriptions", "notes")
           for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))}})
    assert response.status_code == 302, response.content
    consultation.refresh_from_db()
    assert (consultation.diagnosis, consultation.status) == ("Migraine", ConsultationStatus.OPEN)


def test_appointment_history_is_append_only(site):
    appointment = AppointmentFactory()
    entry = appointment.history.get()
    assert site.get("/admin/clinical/appointmenthistory/add/").status_code == 403
    changed = site.post(f"/admin/clinical/appointmenthistory/{entry.pk}/change/",
                        {"appointment": appointment.pk, "to_status": "completed", "note": "forged"})
    assert changed.status_code == 403
    assert site.post(f"/admin/clinical/appointmenthistory/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert (entry.to_status, entry.note) == (AppointmentStatus.SCHEDULED, "booked")
    assert AppointmentHistory.objects.count() == 1


def test_appointment_status_changes_only_through_actions(site):
    appointment = AppointmentFactory()
    response = site.post(f"/admin/clinical/appointment/{appointment.pk}/change/",
                         {"status": AppointmentStatus.COMPLETED, "reason": "x", "slot": appointment.slot_id})
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    # No-show before the slot has started: the service refuses, nothing changes.
    _action(site, "/admin/clinical/appointment/", "mark_no_show", appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED and appointment.history.count() == 1
    _action(site, "/admin/clinical/appointment/", "confirm_appointments", appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CONFIRMED
    last = appointment.history.last()
    assert (last.from_status, last.to_status, last.changed_by) == (
        AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED, site.user)
    past = AppointmentFactory(slot=TimeSlotFactory(date=timezone.localdate() - timedelta(days=1)))
    _action(site, "/admin/clinical/appointment/", "mark_no_show", past)
    past.refresh_from_db()
    assert past.status == AppointmentStatus.NO_SHOW


def test_time_slots_are_not_created_or_moved_in_admin(site):
    slot = TimeSlotFactory()
    assert site.get("/admin/clinical/timeslot/add/").status_code == 403
    moved = site.post(f"/admin/clinical/timeslot/{slot.pk}/change/", {
        "doctor": slot.doctor_id, "date": (timezone.localdate() - timedelta(days=5)).isoformat(),
        "start_time": "09:00", "end_time": "09:30"})
    assert moved.status_code == 403
    slot.refresh_from_db()
    assert slot.date > timezone.localdate()


# --- Users: role and approval ---------------------------------------------------------------------

def _user_form(user, **changes):
    return {"username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "phone": user.phone, "department": user.department_id or "", **changes}


def test_role_and_approval_cannot_be_set_in_the_user_form(site):
    nurse = UserFactory(nurse=True, pending=True)
    response = site.post(f"/admin/accounts/user/{nurse.pk}/change/", _user_form(
        nurse, first_name="Nina", role=Role.ADMIN, approval_status=ApprovalStatus.APPROVED, is_active="on",
        is_staff="on", is_superuser="on"))
    assert response.status_code == 302, response.content
    nurse.refresh_from_db()
    assert nurse.first_name == "Nina"  # the editable fields are saved
    assert (nurse.role, nurse.approval_status, nurse.is_active, nurse.is_staff, nurse.is_superuser) == (
        Role.NURSE, ApprovalStatus.PENDING, False, False, False)


def test_changing_email_in_admin_marks_it_unverified_as_the_api_does(site):
    user = UserFactory(nurse=True, email_verified=True)
    assert site.post(f"/admin/accounts/user/{user.pk}/change/",
                     _user_form(user, email="new@example.org")).status_code == 302
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("new@example.org", False)


def test_department_on_a_patient_is_refused_in_admin(site):
    patient = UserFactory(patient=True)
    response = site.post(f"/admin/accounts/user/{patient.pk}/change/",
                         _user_form(patient, department=DepartmentFactory().pk))
    assert response.status_code == 200 and b"belong to a department" in response.content
    patient.refresh_from_db()
    assert patient.department is None


def test_approve_and_reject_actions_run_the_services(site, django_capture_on_commit_callbacks):
    doctor, nurse = UserFactory(doctor=True, pending=True), UserFactory(nurse=True, pending=True)
    with django_capture_on_commit_callbacks(execute=True):
        _action(site, "/admin/accounts/user/", "approve_users", doctor)
        _action(site, "/admin/accounts/user/", "reject_users", nurse)
    doctor.refresh_from_db()
    nurse.refresh_from_db()
    assert (doctor.approval_status, doctor.is_active) == (ApprovalStatus.APPROVED, True)
    assert (nurse.approval_status, nurse.is_active) == (ApprovalStatus.REJECTED, False)
    assert sorted(message.to[0] for message in mail.outbox) == sorted([doctor.email, nurse.email])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _action(site, "/admin/accounts/user/", "approve_users", nurse)  # not pending: refused, no email
    nurse.refresh_from_db()
    assert nurse.approval_status == ApprovalStatus.REJECTED and not mail.outbox


def test_admin_cannot_deactivate_themself_through_the_action(site):
    _action(site, "/admin/accounts/user/", "deactivate_users", site.user)
    site.user.refresh_from_db()
    assert site.user.is_active


# --- Equipment and monitoring ---------------------------------------------------------------------

def test_device_status_changes_through_the_action_and_its_rules(site):
    device = DeviceFactory()
    response = site.post(f"/admin/devices/device/{device.pk}/change/", {"status": DeviceStatus.DECOMMISSIONED})
    device.refresh_from_db()
    assert device.status == DeviceStatus.ACTIVE and response.status_code == 200  # form errors, no save
    _action(site, "/admin/devices/device/", "mark_maintenance", device)
    device.refresh_from_db()
    assert device.status == DeviceStatus.MAINTENANCE
    monitor = DeviceFactory(monitor=True, patient=ConsultationFactory().appointment.patient)
    _action(site, "/admin/devices/device/", "mark_decommissioned", monitor)  # assigned: the service refuses
    monitor.refresh_from_db()
    assert monitor.status == DeviceStatus.ACTIVE


def test_decided_spare_part_request_is_final_and_decisions_are_actions(site):
    pending, decided = SparePartRequestFactory(), SparePartRequestFactory(
        status=SparePartStatus.REJECTED, decided_by=site.user, decided_at=timezone.now())
    response = site.post(f"/admin/spareparts/sparepartrequest/{decided.pk}/change/",
                         {"part_name": "Other", "quantity": 9, "device": decided.device_id})
    assert response.status_code == 403
    _action(site, "/admin/spareparts/sparepartrequest/", "approve_requests", pending, decided)
    pending.refresh_from_db()
    decided.refresh_from_db()
    assert (pending.status, pending.decided_by) == (SparePartStatus.APPROVED, site.user)
    assert (decided.status, decided.part_name) == (SparePartStatus.REJECTED, "Battery pack")


def test_alert_status_changes_only_through_actions(site):
    alert = AlertFactory()
    response = site.post(f"/admin/monitoring/alert/{alert.pk}/change/", {"status": AlertStatus.RESOLVED})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    _action(site, "/admin/monitoring/alert/", "acknowledge_alerts", alert)
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == (AlertStatus.ACKNOWLEDGED, site.user)


def test_token_blacklist_entries_cannot_be_deleted_in_admin(site, api_client):
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

    user = UserFactory()
    login = api_client.post("/api/auth/login/", {"username": user.username, "password": "Correct-Horse-42"},
                            format="json").json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login['access']}")
    assert api_client.post("/api/auth/logout/", {"refresh": login["refresh"]}, format="json").status_code == 204
    entry = BlacklistedToken.objects.get()
    assert site.post(f"/admin/token_blacklist/blacklistedtoken/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert site.post(f"/admin/token_blacklist/outstandingtoken/{entry.token.pk}/delete/",
                     {"post": "yes"}).status_code == 403
    assert BlacklistedToken.objects.filter(pk=entry.pk).exists()
    refreshed = api_client.post("/api/auth/refresh/", {"refresh": login["refresh"]}, format="json")
    assert refreshed.status_code == 401


def test_delete_selected_work_orders_goes_through_the_service_and_removes_photos(site, settings, tmp_path,
                                                                                django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from workorders.models import WorkOrder

    settings.MEDIA_ROOT = tmp_path
    work_order = WorkOrderFactory()
    work_order.photo.save("fault.png", ContentFile(b"png"), save=True)
    path = work_order.photo.path
    with django_capture_on_commit_callbacks(execute=True):
        response = site.post("/admin/workorders/workorder/",
                             {"action": "delete_selected", "_selected_action": [work_order.pk], "post": "yes"})
    assert response.status_code == 302
    assert not WorkOrder.objects.filter(pk=work_order.pk).exists()
    assert not os.path.exists(path)


def test_a_service_refusing_an_admin_edit_is_a_message_not_a_server_error(site, monkeypatch):
    from core.errors import Conflict
    from workorders import services

    def refuse(**kwargs):
        raise Conflict("The work order was closed meanwhile.", code="work_order_closed")

    monkeypatch.setattr(services, "workorder_update", refuse)
    work_order = WorkOrderFactory()
    data = {"description": "Changed", "work_type": work_order.work_type, "priority": Priority.HIGH,
            "assigned_to": work_order.assigned_to_id, "due_date": work_order.due_date.isoformat(),
            "technical_action": ""}
    url = f"/admin/workorders/workorder/{work_order.pk}/change/"
    response = site.post(url, data, follow=True)
    assert response.status_code == 200
    assert "closed meanwhile" in response.content.decode()
    work_order.refresh_from_db()
    assert work_order.description == "Alarm does not stop"
