from types import SimpleNamespace

import pytest

from accounts.choices import Role
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, UserFactory
from tests.factories.monitoring import monitored_patient


@pytest.fixture
def ward(db, client_for):
    """A monitored patient in a department, with that department's nurse and the patient's doctor."""
    department = DepartmentFactory()
    patient, monitor = monitored_patient(department=department)
    doctor = UserFactory(doctor=True)
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)

    return SimpleNamespace(
        department=department, patient=patient, monitor=monitor,
        nurse=client_for(UserFactory(role=Role.NURSE, department=department)),
        doctor=client_for(doctor),
        stranger_nurse=client_for(UserFactory(role=Role.NURSE, department=DepartmentFactory())),
        stranger_doctor=client_for(Role.DOCTOR),
    )


@pytest.fixture(params=["small", "large"])
def ingest_path(request, monkeypatch):
    """Run a test through each ingest path: every batch small (no temporary tables) or every batch
    large (staged), by moving the threshold; the outcome must be the same."""
    from monitoring import services
    from monitoring.choices import MAX_BATCH

    monkeypatch.setattr(services, "SMALL_BATCH_MAX", MAX_BATCH if request.param == "small" else 0)
    return request.param
