"""No write scope follows a grant: every write a holder tries on the granted patient's data answers
exactly as for a record out of scope (the same 404 as a missing id, or the same 400 for a related
field), and nothing changes."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import Role
from clinical.choices import AppointmentStatus
from clinical.models import Appointment, Consultation, Patient, PatientDoctorMapping, PatientDocument
from core.testing import assert_error
from devices.models import Device
from monitoring.choices import AlertStatus
from monitoring.models import Alert, Reading
from tests.clinical.break_glass import grant, outside_patient
from tests.factories import PatientDoctorMappingFactory, PatientFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory
from tests.factories.equipment import DeviceFactory
from tests.factories.monitoring import AlertFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n"
MISSING = 999999


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def holder(doctor_client):
    """A doctor holding a live grant for a patient with an appointment, a consultation, a monitor and an alert."""
    patient = outside_patient()
    appointment = AppointmentFactory(patient=patient)
    consultation = ConsultationFactory(appointment=AppointmentFactory(patient=patient,
                                                                      status=AppointmentStatus.CONFIRMED))
    grant(doctor_client, patient)
    assert doctor_client.get(f"/api/patients/{patient.pk}/").status_code == 200  # the grant reads
    doctor_client.patient, doctor_client.appointment, doctor_client.consultation = patient, appointment, consultation
    return doctor_client


def same_as_missing(client, method, url, missing_url, data=None, **kwargs):
    """The answer for the granted patient's row is the answer for an id that does not exist."""
    call = getattr(client, method)
    response, missing = call(url, data, **kwargs), call(missing_url, data, **kwargs)
    assert_error(response, 404)
    assert response.json() == missing.json()
    return response


# --- the patient record and its documents -------------------------------------------------------

@pytest.mark.parametrize("method", ["patch", "put"])
def test_holder_cannot_change_the_record(holder, method):
    patient = holder.patient
    body = {"first_name": "Changed", "last_name": "Changed", "phone": "+966501234567"}
    same_as_missing(holder, method, f"/api/patients/{patient.pk}/", f"/api/patients/{MISSING}/", body,
                    format="json")
    patient.refresh_from_db()
    assert patient.first_name != "Changed" and patient.phone == ""


def test_holder_cannot_upload_a_document(holder):
    patient = holder.patient

    def upload(pk):
        return holder.post(f"/api/patients/{pk}/documents/", {"file": SimpleUploadedFile("r.pdf", PDF),
                                                             "kind": "lab_report", "title": "Blood"},
                           format="multipart")

    response, missing = upload(patient.pk), upload(MISSING)
    assert_error(response, 404)
    assert response.json() == missing.json()
    assert not PatientDocument.objects.exists()


def test_holder_cannot_archive_even_their_own_upload(holder):
    patient = holder.patient
    document = PatientDocument.objects.create(
        patient=patient, kind="lab_report", title="Blood", file=SimpleUploadedFile("a.pdf", PDF),
        content_type="application/pdf", size=len(PDF), uploaded_by=holder.user)
    assert holder.get(f"/api/patients/{patient.pk}/documents/{document.pk}/").status_code == 200
    same_as_missing(holder, "delete", f"/api/patients/{patient.pk}/documents/{document.pk}/",
                    f"/api/patients/{MISSING}/documents/{document.pk}/")
    document.refresh_from_db()
    assert not document.is_archived


# --- appointments ----------------------------------------------------------------------------------

@pytest.mark.parametrize("route, body", [("confirm/", {}), ("cancel/", {"reason": "No longer needed"}),
                                         ("reschedule/", None), ("complete/", {}), ("no-show/", {})])
def test_holder_cannot_transition_an_appointment(holder, route, body):
    appointment = holder.appointment
    if body is None:
        body = {"slot": TimeSlotFactory(doctor=appointment.doctor).pk}
    assert holder.get(f"/api/appointments/{appointment.pk}/").status_code == 200
    same_as_missing(holder, "post", f"/api/appointments/{appointment.pk}/{route}",
                    f"/api/appointments/{MISSING}/{route}", body, format="json")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED and appointment.history.count() == 1


def test_holder_cannot_book_the_patient(holder):
    slot = TimeSlotFactory(doctor=holder.user.doctor_profile)
    before = Appointment.objects.count()
    refused = holder.post("/api/appointments/", {"patient": holder.patient.pk, "slot": slot.pk}, format="json")
    stranger = holder.post("/api/appointments/", {"patient": PatientFactory().pk, "slot": slot.pk}, format="json")
    assert_error(refused, 400, fields=["patient"])
    assert refused.json()["errors"]["patient"] != [] and refused.status_code == stranger.status_code
    assert Appointment.objects.count() == before


# --- consultations -----------------------------------------------------------------------------

@pytest.mark.parametrize("path, body", [
    ("", {"diagnosis": "changed"}),
    ("vital-signs/", {"heart_rate": 70}),
    ("prescriptions/", {"medication": "X", "dosage": "1", "frequency": "1"}),
    ("notes/", {"content": "late"}),
    ("start/", {}),
    ("complete/", {}),
])
def test_holder_cannot_write_in_a_consultation(holder, path, body):
    consultation = holder.consultation
    assert holder.get(f"/api/consultations/{consultation.pk}/").status_code == 200
    method = "patch" if path == "" else "post"
    same_as_missing(holder, method, f"/api/consultations/{consultation.pk}/{path}",
                    f"/api/consultations/{MISSING}/{path}", body, format="json")
    consultation.refresh_from_db()
    assert consultation.diagnosis == "" and consultation.status == "open"
    assert not (consultation.vital_signs.exists() or consultation.prescriptions.exists()
                or consultation.notes.exists())


def test_a_nurse_holder_cannot_record_vital_signs(client_for):
    nurse = client_for(Role.NURSE)
    consultation = ConsultationFactory(appointment=AppointmentFactory(patient=outside_patient(),
                                                                      status=AppointmentStatus.CONFIRMED))
    grant(nurse, consultation.appointment.patient)
    assert nurse.get(f"/api/patients/{consultation.appointment.patient_id}/consultations/").status_code == 200
    same_as_missing(nurse, "post", f"/api/consultations/{consultation.pk}/vital-signs/",
                    f"/api/consultations/{MISSING}/vital-signs/", {"heart_rate": 70}, format="json")
    assert not consultation.vital_signs.exists()


def test_holder_cannot_open_a_consultation_for_the_patients_appointment(holder):
    appointment = AppointmentFactory(patient=holder.patient, status=AppointmentStatus.CONFIRMED)
    response = holder.post("/api/consultations/", {"appointment": appointment.pk}, format="json")
    assert_error(response, 400, fields=["appointment"])
    assert not Consultation.objects.filter(appointment=appointment).exists()


# --- the care team -----------------------------------------------------------------------------

def test_the_grant_is_not_a_mapping(holder):
    """Reading under a grant leaves the care team as it was: the grant ends, so does the access."""
    assert not PatientDoctorMapping.objects.filter(patient=holder.patient, doctor__user=holder.user).exists()
    assert not Patient.objects.in_care_of(holder.user).filter(pk=holder.patient.pk).exists()


# --- monitors, alerts, readings -----------------------------------------------------------------

def test_holder_cannot_take_the_patients_monitor(holder):
    monitor = DeviceFactory(monitor=True, patient=holder.patient)
    mine = PatientFactory()
    PatientDoctorMappingFactory(patient=mine, doctor=holder.user.doctor_profile)
    assert holder.get(f"/api/devices/{monitor.pk}/").status_code == 200  # the grant reads the monitor
    same_as_missing(holder, "post", f"/api/devices/{monitor.pk}/unassign/", f"/api/devices/{MISSING}/unassign/")
    same_as_missing(holder, "post", f"/api/devices/{monitor.pk}/assign/", f"/api/devices/{MISSING}/assign/",
                    {"patient": mine.pk}, format="json")
    monitor.refresh_from_db()
    assert monitor.patient == holder.patient


def test_holder_cannot_assign_a_monitor_to_the_patient(holder):
    free = DeviceFactory(monitor=True)
    refused = holder.post(f"/api/devices/{free.pk}/assign/", {"patient": holder.patient.pk}, format="json")
    assert_error(refused, 400, fields=["patient"])
    free.refresh_from_db()
    assert free.patient is None


@pytest.mark.parametrize("route", ["acknowledge/", "resolve/"])
def test_holder_cannot_act_on_the_patients_alerts(holder, route):
    alert = AlertFactory(patient=holder.patient)
    assert holder.get(f"/api/alerts/{alert.pk}/").status_code == 200
    same_as_missing(holder, "post", f"/api/alerts/{alert.pk}/{route}", f"/api/alerts/{MISSING}/{route}", {},
                    format="json")
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


def test_holder_cannot_post_readings_for_the_patient(holder):
    monitor = DeviceFactory(monitor=True, patient=holder.patient)
    body = {"device": monitor.pk, "bpm": 70, "recorded_at": timezone.now().isoformat()}
    assert_error(holder.post("/api/records/", body, format="json"), 400, fields=["device"])
    assert not Reading.objects.exists()


def test_in_care_writes_still_work(doctor_client):
    """The other side: the same doctor writes to a patient in their care (the scopes did not shrink)."""
    patient = PatientFactory()
    PatientDoctorMappingFactory(patient=patient, doctor=doctor_client.user.doctor_profile)
    assert doctor_client.patch(f"/api/patients/{patient.pk}/", {"phone": "+966501234567"},
                               format="json").status_code == 200
    free = DeviceFactory(monitor=True)
    assert doctor_client.post(f"/api/devices/{free.pk}/assign/", {"patient": patient.pk},
                              format="json").status_code == 200
    assert Device.objects.get(pk=free.pk).patient == patient
