"""Fixtures shared by the device API tests."""

from types import SimpleNamespace

import pytest

from accounts.choices import Role
from tests.factories import DepartmentFactory, PatientDoctorMappingFactory, PatientFactory, UserFactory
from tests.factories.equipment import DeviceFactory


@pytest.fixture
def world(client_for):
    """An engineer and a nurse with one device each in scope, a doctor whose patient has a monitor
    (also the engineer's and nurse's), and another engineer's device outside everyone's scope."""
    department = DepartmentFactory()
    engineer = UserFactory(engineer=True)
    nurse = UserFactory(nurse=True, department=department)
    doctor = UserFactory(doctor=True)
    patient = PatientFactory(department=department)
    PatientDoctorMappingFactory(patient=patient, doctor=doctor.doctor_profile)
    device = DeviceFactory(assigned_engineer=engineer, assigned_nurses=[nurse])
    monitor = DeviceFactory(monitor=True, assigned_engineer=engineer, assigned_nurses=[nurse], patient=patient,
                            hospital=device.hospital, room=device.room)
    other = DeviceFactory(assigned_nurses=[UserFactory(nurse=True)])
    return SimpleNamespace(
        engineer=engineer, nurse=nurse, doctor=doctor, patient=patient, device=device, monitor=monitor,
        other=other,
        clients={Role.ADMIN: client_for(Role.ADMIN), Role.ENGINEER: client_for(engineer),
                 Role.NURSE: client_for(nurse), Role.DOCTOR: client_for(doctor),
                 Role.PATIENT: client_for(Role.PATIENT)},
    )
