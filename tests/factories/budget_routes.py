"""For every GET route of the API and /fhir/ with a query budget: build(world, rows) -> the URL to
read, after making `rows` rows of what it lists (a list) or of what its object shows (a detail: its
nurses, mappings, notes...), all in the caller's scope (tests.factories.worlds.World)."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.choices import Role
from clinical.models import AppointmentHistory, PatientDoctorMapping
from tests.factories.accounts import DepartmentFactory, DoctorProfileFactory, PatientDoctorMappingFactory, UserFactory
from tests.factories.clinical import ConsultationNoteFactory, PrescriptionFactory, VitalSignsFactory
from tests.factories.equipment import HospitalFactory, InventoryCheckFactory, RoomFactory

PAGE = "?page_size=100"  # every row of the 50 on one page: a per-row query cannot hide on page 2
FHIR_PAGE = "?_count=100"


def repeat(make, rows):
    return [make() for _ in range(rows)]


def last(make, rows):
    return repeat(make, rows)[-1]


def listed(path, make, page=PAGE):
    def build(world, rows):
        repeat(lambda: make(world), rows)
        return path + page
    return build


def detail(path, make):
    """`rows` objects; the URL of the last one (path formatted with its pk)."""
    def build(world, rows):
        return path.format(last(lambda: make(world), rows).pk)
    return build


def nested(path, parent, child, *, page=PAGE):
    """One parent with `rows` children: path formatted with the parent's pk."""
    def build(world, rows):
        owner = parent(world)
        for index in range(rows):
            child(world, owner, index)
        return path.format(owner.pk) + page
    return build


def _nurses(world, rows):
    device = world.device()
    device.assigned_nurses.add(*repeat(lambda: UserFactory(nurse=True), rows))
    return f"/api/devices/{device.pk}/"


def _patient(world, rows):
    patient = world.patient()
    repeat(lambda: PatientDoctorMappingFactory(patient=patient), rows)
    return f"/api/patients/{patient.pk}/"


def _consultation(world, rows, path="/api/consultations/{}/"):
    consultation = world.consultation()
    for _ in range(rows):
        ConsultationNoteFactory(consultation=consultation, author=consultation.appointment.doctor.user)
        PrescriptionFactory(consultation=consultation)
        VitalSignsFactory(consultation=consultation)
    return path.format(consultation.pk)


def _today(world, rows):
    today = timezone.localdate()
    for index in range(rows):
        world.appointment(slot=world.slot(date=today, index=index))
    return "/api/appointments/today/" + PAGE


def _availability(world, rows):
    day = timezone.localdate() + timedelta(days=400)
    for index in range(rows):
        world.slot(date=day, index=index)
    return f"/api/doctor-availability/?doctor={world.doctor.pk}&date={day.isoformat()}"


def _document(world, rows, suffix=""):
    patient = world.patient()
    document = last(lambda: world.document(patient), rows)
    return f"/api/patients/{patient.pk}/documents/{document.pk}/{suffix}"


def _history(world, rows):
    appointment = world.appointment()
    for _ in range(rows):
        AppointmentHistory.objects.create(appointment=appointment, changed_by=world.caller, from_status="scheduled",
                                          to_status="scheduled", from_slot=appointment.slot,
                                          to_slot=appointment.slot, note="moved")
    return f"/api/appointments/{appointment.pk}/history/" + PAGE


def _everything(world, rows):
    patient = world.patient()
    for _ in range(rows):
        world.consultation(patient)
    world.readings(rows, patient)
    return f"/fhir/Patient/{patient.pk}/$everything?_count=500"  # every section on one page


def _observations(world, rows):
    patient = world.patient()
    world.readings(rows, patient)
    return f"/fhir/Observation?patient={patient.pk}&_count=100"


def _mapping(world):
    """A mapping the caller sees: a doctor's own, a patient's own record's, any for an admin."""
    if world.is_(Role.PATIENT):
        return PatientDoctorMappingFactory(patient=world.patient())
    return PatientDoctorMapping.objects.get(patient=world.patient())


def _reliability(world, rows):
    repeat(world.work_order, rows)
    today = timezone.localdate()
    return f"/api/reports/reliability/?from={today.replace(day=1).isoformat()}&to={today.isoformat()}"


def _photo(world, rows):
    image = io.BytesIO()
    Image.new("RGB", (2, 2)).save(image, "PNG")
    order = last(world.work_order, rows)
    order.photo = SimpleUploadedFile("fault.png", image.getvalue(), content_type="image/png")
    order.save(update_fields=["photo"])
    return f"/api/workorders/{order.pk}/photo/"


def _fleet(world, rows):
    repeat(world.work_order, rows)
    return "/api/dashboard/"


ROUTES = {
    # accounts
    "profile": detail("/api/auth/profile/", lambda w: UserFactory()),  # the caller's own, among `rows` others
    "users-me": detail("/api/users/me/", lambda w: UserFactory()),
    "roles": listed("/api/roles/", lambda w: UserFactory()),
    "user-list": listed("/api/users/", lambda w: UserFactory(nurse=True, department=w.department)),
    "user-detail": detail("/api/users/{}/", lambda w: UserFactory(nurse=True, department=w.department)),
    # devices
    "hospital-list": listed("/api/hospitals/", lambda w: HospitalFactory()),
    "hospital-detail": detail("/api/hospitals/{}/", lambda w: HospitalFactory()),
    "room-list": listed("/api/rooms/", lambda w: RoomFactory()),
    "room-detail": detail("/api/rooms/{}/", lambda w: RoomFactory()),
    "device-list": listed("/api/devices/", lambda w: w.device()),
    "device-assigned": listed("/api/devices/assigned/", lambda w: w.device()),
    "device-detail": _nurses,
    "device-downtime": nested("/api/devices/{}/downtime/", lambda w: w.device(), lambda w, d, i: w.downtime(d, i)),
    "device-inventory-checks": nested("/api/devices/{}/inventory-checks/", lambda w: w.device(),
                                      lambda w, d, i: InventoryCheckFactory(device=d, checked_by=d.assigned_engineer)),
    "device-api-keys": nested("/api/devices/{}/api-keys/", lambda w: w.device(), lambda w, d, i: w.api_key(d)),
    # work orders, maintenance, spare parts
    "workorder-list": listed("/api/workorders/", lambda w: w.work_order()),
    "workorder-detail": detail("/api/workorders/{}/", lambda w: w.work_order()),
    "workorder-pdf": detail("/api/workorders/{}/pdf/", lambda w: w.work_order()),
    "workorder-photo": _photo,
    "pmschedule-list": listed("/api/pm-schedules/", lambda w: w.schedule()),
    "pmschedule-detail": detail("/api/pm-schedules/{}/", lambda w: w.schedule()),
    "sparepart-list": listed("/api/spareparts/", lambda w: w.spare_part()),
    "sparepart-detail": detail("/api/spareparts/{}/", lambda w: w.spare_part()),
    # clinical directory and records
    "department-list": listed("/api/departments/", lambda w: DepartmentFactory()),
    "department-detail": detail("/api/departments/{}/", lambda w: DepartmentFactory()),
    "doctor-list": listed("/api/doctors/", lambda w: DoctorProfileFactory(user__department=w.department)),
    "doctor-detail": detail("/api/doctors/{}/", lambda w: DoctorProfileFactory(user__department=w.department)),
    "patient-list": listed("/api/patients/", lambda w: w.patient()),
    "patient-detail": _patient,
    "patient-consultations": nested("/api/patients/{}/consultations/", lambda w: w.patient(),
                                    lambda w, p, i: w.consultation(p)),
    "patient-doctors": nested("/api/patients/{}/doctors/", lambda w: w.patient(),
                              lambda w, p, i: PatientDoctorMappingFactory(patient=p)),
    "patient-documents": nested("/api/patients/{}/documents/", lambda w: w.patient(), lambda w, p, i: w.document(p)),
    "patient-document": _document,
    "patient-download-document": lambda w, rows: _document(w, rows, "download/"),
    "patient-access-log-access-log": nested("/api/patients/{}/access-log/", lambda w: w.patient(),
                                            lambda w, p, i: w.audit_entry(p)),
    "mapping-list": listed("/api/mappings/", lambda w: _mapping(w)),
    "mapping-detail": detail("/api/mappings/{}/", lambda w: _mapping(w)),
    # scheduling
    "doctor-availability": _availability,
    "time-slot-list": listed("/api/time-slots/", lambda w: w.slot()),
    "time-slot-detail": detail("/api/time-slots/{}/", lambda w: w.slot()),
    "appointment-list": listed("/api/appointments/", lambda w: w.appointment()),
    "appointment-today": _today,
    "appointment-upcoming": listed("/api/appointments/upcoming/", lambda w: w.appointment()),
    "appointment-statistics": listed("/api/appointments/statistics/", lambda w: w.appointment(), ""),
    "appointment-detail": detail("/api/appointments/{}/", lambda w: w.appointment()),
    "appointment-history": _history,
    "consultation-list": listed("/api/consultations/", lambda w: w.consultation()),
    "consultation-detail": _consultation,
    "consultation-notes": lambda w, rows: _consultation(w, rows, "/api/consultations/{}/notes/" + PAGE),
    "consultation-prescriptions": lambda w, rows: _consultation(w, rows, "/api/consultations/{}/prescriptions/" + PAGE),
    "consultation-vital-signs": lambda w, rows: _consultation(w, rows, "/api/consultations/{}/vital-signs/" + PAGE),
    "consultation-pdf": lambda w, rows: _consultation(w, rows, "/api/consultations/{}/pdf/"),
    "break-glass-list": listed("/api/break-glass/", lambda w: w.grant()),
    "break-glass-detail": detail("/api/break-glass/{}/", lambda w: w.grant()),
    # monitoring
    "records-history": lambda w, rows: f"/api/records/{w.readings(rows)[0].patient_id}/" + PAGE,
    "alert-list": listed("/api/alerts/", lambda w: w.alert()),
    "alert-detail": detail("/api/alerts/{}/", lambda w: w.alert()),
    # aggregates
    "dashboard": _fleet,
    "reliability-report": _reliability,
    # notifications, audit, webhooks
    "notification-list": listed("/api/notifications/", lambda w: w.notification()),
    "notification-detail": detail("/api/notifications/{}/", lambda w: w.notification()),
    "audit-entry-list": listed("/api/audit-log/", lambda w: w.audit_entry(w.patient())),
    "audit-entry-detail": detail("/api/audit-log/{}/", lambda w: w.audit_entry(w.patient())),
    "webhook-list": listed("/api/webhooks/", lambda w: w.endpoint()),
    "webhook-detail": detail("/api/webhooks/{}/", lambda w: w.endpoint()),
    "webhook-deliveries": nested("/api/webhooks/{}/deliveries/", lambda w: w.endpoint(),
                                 lambda w, e, i: w.delivery(e)),
    # FHIR
    "fhir-patient-search": listed("/fhir/Patient", lambda w: w.patient(), FHIR_PAGE),
    "fhir-patient": detail("/fhir/Patient/{}", lambda w: w.patient()),
    "fhir-patient-everything": _everything,
    "fhir-practitioner": detail("/fhir/Practitioner/{}", lambda w: DoctorProfileFactory()),
    "fhir-device": detail("/fhir/Device/{}", lambda w: w.device()),
    "fhir-observation-search": _observations,
    "fhir-observation": lambda w, rows: f"/fhir/Observation/{w.readings(rows)[-1].pk}",
    "fhir-appointment-search": listed("/fhir/Appointment", lambda w: w.appointment(), FHIR_PAGE),
    "fhir-slot-search": listed("/fhir/Slot", lambda w: w.slot(), FHIR_PAGE),
}
