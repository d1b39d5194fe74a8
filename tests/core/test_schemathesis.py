"""The OpenAPI schema tells the truth: schemathesis fuzzes every operation through the WSGI app.

For each operation in /api/schema/ and for two callers (an admin and a patient), schemathesis
generates a bounded number of requests, valid and invalid, and checks every answer: never a 5xx,
a status code the operation documents, the content type it documents and a body that matches
the documented schema. A small dataset seeded per test gives the path ids something to find:
an `{id}` is either what schemathesis drew or the seeded object of that route.
"""

import re

import pytest
import schemathesis
from django.core import signals
from django.core.files.base import ContentFile
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.choices import Role
from clinical.models import PatientDocument
from config.wsgi import application
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, UserFactory
from tests.factories.clinical import (
    AppointmentFactory,
    ConsultationFactory,
    ConsultationNoteFactory,
    PrescriptionFactory,
    TimeSlotFactory,
    VitalSignsFactory,
)
from tests.factories.equipment import (
    DeviceFactory,
    InventoryCheckFactory,
    SparePartRequestFactory,
    WorkOrderFactory,
)
from tests.factories.monitoring import AlertFactory, ReadingFactory
from tests.maintenance.factories import PMScheduleFactory

pytestmark = pytest.mark.openapi  # part of `make test`; `-m openapi` runs it alone

# The bounds: a few examples per operation and per mode, reproducible, no shrinking (slow).
MAX_EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    no_shrink=True,
    deterministic=True,
    database="none",  # nothing written to .hypothesis/
)
# The schema's own examples, then fuzzing; the coverage phase (every boundary of every field) alone
# would take minutes on this 2-core machine.
schema.config.phases.update(phases=["examples", "fuzzing"])

# The seeded objects of the running test, by the route segment that names them.
SEEDED: dict[str, int] = {}


def _seeded_id(path, parameter):
    """The seeded object a path parameter of this route points at, if any."""
    if parameter == "doc_id":
        return SEEDED.get("documents")
    if parameter == "device_id":
        return SEEDED.get("devices")
    if parameter in {"id", "patient_id"}:
        match = re.match(r"^/api/([a-z-]+)/", path)
        return SEEDED.get(match.group(1)) if match else None
    return None


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Half the time, point the ids at the seeded objects, so detail routes answer more than 404."""
    if not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    seeded = {name: _seeded_id(path, name) for name in path_parameters}
    seeded = {name: value for name, value in seeded.items() if value is not None}
    return st.sampled_from([path_parameters, {**path_parameters, **seeded}])


@pytest.fixture
def dataset(db, settings, tmp_path):
    """One object of every kind, all visible to the patient (their record, appointment, ...)."""
    settings.MEDIA_ROOT = tmp_path
    department = DepartmentFactory()
    admin = UserFactory(admin=True)
    patient_user = UserFactory(patient=True)
    patient = patient_user.patient_record
    patient.department = department
    patient.save(update_fields=["department"])
    doctor = UserFactory(doctor=True, department=department)
    mapping = PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    slot = TimeSlotFactory(doctor=doctor.doctor_profile)
    appointment = AppointmentFactory(slot=slot, patient=patient)
    consultation = ConsultationFactory(appointment__patient=patient, appointment__slot__doctor=doctor.doctor_profile)
    VitalSignsFactory(consultation=consultation)
    PrescriptionFactory(consultation=consultation)
    ConsultationNoteFactory(consultation=consultation)
    monitor = DeviceFactory(monitor=True, patient=patient)
    ReadingFactory(patient=patient, device=monitor)
    alert = AlertFactory(patient=patient)
    device = DeviceFactory()
    InventoryCheckFactory(device=device)
    work_order = WorkOrderFactory(device=device)
    spare_part = SparePartRequestFactory(device=device)
    pm_schedule = PMScheduleFactory(device=device)
    document = PatientDocument.objects.create(
        patient=patient, title="Blood", kind="lab_report", content_type="application/pdf", size=15,
        original_name="report.pdf", file=ContentFile(b"%PDF-1.4\n%test\n", name="report.pdf"),
    )
    SEEDED.clear()
    SEEDED.update({
        "alerts": alert.id, "appointments": appointment.id, "consultations": consultation.id,
        "departments": department.id, "devices": device.id, "doctors": doctor.doctor_profile.id,
        "hospitals": device.hospital_id, "mappings": mapping.id, "patients": patient.id, "records": patient.id,
        "rooms": device.room_id, "spareparts": spare_part.id, "time-slots": slot.id, "users": patient_user.id,
        "workorders": work_order.id, "documents": document.id, "pm-schedules": pm_schedule.id,
    })
    yield {Role.ADMIN: admin, Role.PATIENT: patient_user}
    SEEDED.clear()


@pytest.fixture
def wsgi_requests(monkeypatch):
    """Requests through the WSGI handler inside the test's transaction; no throttling.

    DRF reads DEFAULT_THROTTLE_CLASSES into each view class at import, so a settings override
    would not reach them: the views are told to use no throttle instead.
    """
    monkeypatch.setattr(APIView, "get_throttles", lambda self: [])
    # Django's test client does the same: the handler must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PATIENT])
@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_schema_tells_the_truth(case, role, dataset, wsgi_requests):
    token = RefreshToken.for_user(dataset[role]).access_token
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
