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
