"""Reads under a grant: every read route of the patient answers 404 without a grant, 200 with a live
one, and 404 again once it has expired or been revoked; reads under it are marked in the audit log."""
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import Role
from audit.choices import AuditAction
from audit.models import AuditEntry
from clinical.choices import AppointmentStatus
from clinical.models import PatientDocument
from clinical.services import break_glass_revoke
from tests.clinical.break_glass import expire, grant, outside_patient
from tests.factories import UserFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, VitalSignsFactory
from tests.factories.equipment import DeviceFactory
from tests.factories.monitoring import AlertFactory, ReadingFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def chart():
    """A patient nobody in the fixtures cares for, with one of everything."""
    patient = outside_patient()
    appointment = AppointmentFactory(patient=patient, status=AppointmentStatus.CONFIRMED)
    consultation = ConsultationFactory(appointment=AppointmentFactory(patient=patient,
                                                                      status=AppointmentStatus.CONFIRMED))
    VitalSignsFactory(consultation=consultation)
    monitor = DeviceFactory(monitor=True, patient=patient)
    ReadingFactory(patient=patient, device=monitor)
    alert = AlertFactory(patient=patient, device=monitor)
    document = PatientDocument.objects.create(
        patient=patient, kind="lab_report", title="Blood", file=SimpleUploadedFile("a.pdf", PDF),
        content_type="application/pdf", size=len(PDF), original_name="a.pdf")
    return {"patient": patient, "appointment": appointment, "consultation": consultation, "monitor": monitor,
            "alert": alert, "document": document}


def read_routes(chart, role):
    p = chart["patient"].pk
    routes = [f"/api/patients/{p}/", f"/api/patients/{p}/consultations/", f"/api/records/{p}/",
              f"/api/records/{p}/?bucket=1h", f"/api/appointments/{chart['appointment'].pk}/",
              f"/api/appointments/{chart['appointment'].pk}/history/", f"/api/patients/{p}/documents/",
              f"/api/patients/{p}/documents/{chart['document'].pk}/",
              f"/api/patients/{p}/documents/{chart['document'].pk}/download/",
              f"/api/alerts/{chart['alert'].pk}/", f"/api/patients/{p}/doctors/"]
    if role == Role.DOCTOR:  # /consultations/ is not a nurse's route (role_rules), nor a monitor's details
        c = chart["consultation"].pk
        routes += [f"/api/consultations/{c}/", f"/api/consultations/{c}/vital-signs/",
                   f"/api/consultations/{c}/pdf/", f"/api/devices/{chart['monitor'].pk}/"]
    return routes


def statuses(client, routes):
    return {route: client.get(route).status_code for route in routes}


def listed(client, path):
    return {row["id"] for row in client.get(path).json()["results"]}


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE])
def test_without_a_grant_every_read_is_404(client_for, department, chart, role):
    client = client_for(role, department=department)
    assert set(statuses(client, read_routes(chart, role)).values()) == {404}


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE])
def test_a_live_grant_opens_every_read_and_expiry_closes_them_again(client_for, department, chart, role,
                                                                     settings):
    settings.BREAK_GLASS_MINUTES = 5  # a short grant: the caller's access token outlives it
    client = client_for(role, department=department)
    routes = read_routes(chart, role)
    grant(client, chart["patient"])
    assert set(statuses(client, routes).values()) == {200}, statuses(client, routes)
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        assert set(statuses(client, routes).values()) == {404}


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE])
def test_revoking_closes_every_read(client_for, department, chart, role):
    client = client_for(role, department=department)
    routes = read_routes(chart, role)
    created = grant(client, chart["patient"])
    assert client.get(routes[0]).status_code == 200
    break_glass_revoke(grant=created, by=UserFactory(admin=True))
    assert set(statuses(client, routes).values()) == {404}


def test_the_lists_show_the_granted_patients_rows_while_the_grant_lives(doctor_client, chart):
    patient = chart["patient"]
    assert patient.pk not in listed(doctor_client, "/api/patients/")
    created = grant(doctor_client, patient)
    assert patient.pk in listed(doctor_client, "/api/patients/")
    assert chart["appointment"].pk in listed(doctor_client, "/api/appointments/")
    assert chart["consultation"].pk in listed(doctor_client, "/api/consultations/")
    assert chart["alert"].pk in listed(doctor_client, "/api/alerts/")
    assert doctor_client.get(f"/api/appointments/?patient={patient.pk}").status_code == 200
    expire(created)
    assert patient.pk not in listed(doctor_client, "/api/patients/")
    assert not listed(doctor_client, "/api/appointments/") and not listed(doctor_client, "/api/alerts/")


def test_a_grant_is_the_holders_alone(doctor_client, client_for, chart):
    grant(doctor_client, chart["patient"])
    colleague = client_for(Role.DOCTOR)
    assert colleague.get(f"/api/patients/{chart['patient'].pk}/").status_code == 404


def test_a_grant_for_one_patient_opens_no_other(doctor_client, chart):
    grant(doctor_client, chart["patient"])
    other = outside_patient()
    assert doctor_client.get(f"/api/patients/{other.pk}/").status_code == 404


# --- the audit log marks reads under a grant ----------------------------------------------------

def _reads(user, patient):
    return AuditEntry.objects.filter(action=AuditAction.READ, actor=user, patient_id=patient.pk)


def test_reads_under_a_grant_are_marked_break_glass(doctor_client, chart):
    patient = chart["patient"]
    grant(doctor_client, patient)
    for route in (f"/api/patients/{patient.pk}/", f"/api/records/{patient.pk}/",
                  f"/api/patients/{patient.pk}/documents/{chart['document'].pk}/download/"):
        assert doctor_client.get(route).status_code == 200
    entries = _reads(doctor_client.user, patient)
    assert entries.count() >= 3 and set(entries.values_list("break_glass", flat=True)) == {True}


def test_reads_in_care_are_not_marked_and_refused_reads_leave_no_entry(doctor_client, department, client_for):
    """A nurse reads a patient of her department: no grant, no mark. After a doctor's grant ended,
    their refused read leaves no entry."""
    nurse = client_for(Role.NURSE, department=department)
    patient = outside_patient(department=department)
    assert nurse.get(f"/api/patients/{patient.pk}/").status_code == 200
    assert set(_reads(nurse.user, patient).values_list("break_glass", flat=True)) == {False}
    created = grant(doctor_client, patient)
    expire(created)
    assert doctor_client.get(f"/api/patients/{patient.pk}/").status_code == 404
    assert not _reads(doctor_client.user, patient).exists()


def test_the_grant_and_its_revocation_are_audited_without_the_reason(doctor_client, chart):
    created = grant(doctor_client, chart["patient"])
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, content_type__model="breakglassgrant",
                                   object_id=created.pk)
    assert entry.patient_id == chart["patient"].pk and entry.actor == doctor_client.user
    assert entry.data_kind == "break_glass" and created.reason not in str(entry.changes)
    admin = UserFactory(admin=True)
    break_glass_revoke(grant=created, by=admin)
    revoked = AuditEntry.objects.get(action=AuditAction.UPDATE, content_type__model="breakglassgrant",
                                     object_id=created.pk)
    assert revoked.patient_id == chart["patient"].pk and set(revoked.changes) >= {"revoked_at", "revoked_by"}
