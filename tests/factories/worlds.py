"""A caller's world for the query budgets (tests/core/test_query_budgets.py): rows that the caller
sees, each with the related rows its read shape shows (assigned nurses, mappings, a room...), so
that a per-row query shows up as a count that grows with the rows."""

from datetime import time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import Role
from audit.choices import AuditAction, DataKind
from audit.models import AuditEntry
from clinical.models import BreakGlassGrant, Patient, PatientDocument
from devices.models import DowntimePeriod
from maintenance.models import PMSchedule
from monitoring.services import api_key_issue
from notifications.models import Notification
from tests.factories.accounts import (
    DepartmentFactory,
    DoctorProfileFactory,
    PatientDoctorMappingFactory,
    PatientFactory,
    UserFactory,
    user_for_role,
)
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory
from tests.factories.equipment import DeviceFactory, SparePartRequestFactory, WorkOrderFactory
from tests.factories.monitoring import AlertFactory, ReadingFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class World:
    """Rows in the caller's scope: a nurse's department, a doctor's mapped patients, an engineer's
    and a nurse's assigned devices, a patient's own record."""

    def __init__(self, role):
        self.department = DepartmentFactory()
        extra = {"department": self.department} if role in (Role.NURSE, Role.DOCTOR, Role.ENGINEER) else {}
        self.caller = user_for_role(role, **extra)
        self.role = role
        self.doctor = self.caller.doctor_profile if role == Role.DOCTOR else DoctorProfileFactory()
        self._day = 0

    def is_(self, role):
        return self.role == role

    def patient(self):
        """A patient the caller sees (a patient: their own record), mapped to a doctor."""
        if self.is_(Role.PATIENT):
            return self.caller.patient_record
        patient = PatientFactory(department=self.department)
        PatientDoctorMappingFactory(patient=patient, doctor=self.doctor)
        return patient

    def device(self, **fields):
        """A bedside monitor on a visible patient, assigned to an engineer and two nurses."""
        engineer = self.caller if self.is_(Role.ENGINEER) else UserFactory(engineer=True)
        nurses = [self.caller if self.is_(Role.NURSE) else UserFactory(nurse=True), UserFactory(nurse=True)]
        patient = PatientFactory() if self.is_(Role.PATIENT) else self.patient()  # one monitor per patient
        return DeviceFactory(monitor=True, patient=patient, assigned_engineer=engineer,
                             assigned_nurses=nurses, **fields)

    def work_order(self):
        device = self.device()
        reporter = self.caller if self.is_(Role.NURSE) else UserFactory(nurse=True)
        return WorkOrderFactory(device=device, created_by=reporter, assigned_to=device.assigned_engineer)

    def schedule(self):
        return PMSchedule.objects.create(device=self.device(), title="PM", checklist=["Inspect"], frequency="monthly",
                                         next_due_date=timezone.localdate() + timedelta(days=30))

    def spare_part(self):
        order = self.work_order()
        return SparePartRequestFactory(device=order.device, work_order=order, requested_by=order.assigned_to)

    def slot(self, *, date=None, index=0):
        """A slot of the caller's doctor; `date` given: the index-th 25-minute slot of that day."""
        if date is None:
            self._day += 1
            return TimeSlotFactory(doctor=self.doctor, date=timezone.localdate() + timedelta(days=self._day))
        start = index * 25
        return TimeSlotFactory(doctor=self.doctor, date=date, start_time=time(start // 60, start % 60),
                               end_time=time((start + 20) // 60, (start + 20) % 60))

    def appointment(self, patient=None, slot=None, **fields):
        return AppointmentFactory(patient=patient or self.patient(), slot=slot or self.slot(), **fields)

    def consultation(self, patient=None):
        return ConsultationFactory(appointment=self.appointment(patient, status="confirmed"))

    def grant(self):
        holder = self.caller if self.role in (Role.DOCTOR, Role.NURSE) else user_for_role(Role.DOCTOR)
        return BreakGlassGrant.objects.create(user=holder, patient=PatientFactory(), reason="Unconscious in the ER",
                                              expires_at=timezone.now() + timedelta(hours=1))

    def alert(self, patient=None):
        patient = patient or self.patient()
        return AlertFactory(patient=patient, device=DeviceFactory(monitor=True))

    def readings(self, count, patient=None):
        patient = patient or self.patient()
        monitor = DeviceFactory(monitor=True)
        return [ReadingFactory(patient=patient, device=monitor) for _ in range(count)]

    def notification(self):
        return Notification.objects.create(user=self.caller, kind="alert.opened", title="Alert", data={"alert": 1})

    def audit_entry(self, patient):
        return AuditEntry.objects.create(
            content_type_id=_patient_type(), object_pk=str(patient.pk), object_id=patient.pk,
            object_repr=str(patient), action=AuditAction.UPDATE, patient_id=patient.pk,
            data_kind=DataKind.PATIENT_RECORD, actor=self.caller, actor_name="x", actor_role=self.role)

    def document(self, patient):
        return PatientDocument.objects.create(patient=patient, kind="lab_report", title="Blood",
                                              file=SimpleUploadedFile("a.pdf", PDF), content_type="application/pdf",
                                              size=len(PDF), original_name="a.pdf", uploaded_by=self.caller)

    def downtime(self, device, index):
        start = timezone.now() - timedelta(days=index + 2)
        return DowntimePeriod.objects.create(device=device, started_at=start, ended_at=start + timedelta(hours=1),
                                             status="maintenance", reason="Service", opened_by=self.caller,
                                             closed_by=self.caller)

    def api_key(self, device):
        return api_key_issue(device=device, by=self.caller, name="bedside")

    def endpoint(self):
        return WebhookEndpoint.objects.create(url="https://engine.example.org/hook", event_types=["alert.opened"],
                                              secret="s" * 32, created_by=self.caller)

    def delivery(self, endpoint):
        return WebhookDelivery.objects.create(endpoint=endpoint, event_type="alert.opened", payload={"id": "x"})


def _patient_type():
    return ContentType.objects.get_for_model(Patient).pk
