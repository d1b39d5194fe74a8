import pytest

from accounts.choices import Role
from clinical.choices import AppointmentStatus
from tests.factories import DepartmentFactory, PatientFactory, UserFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory


@pytest.fixture
def department(db):
    return DepartmentFactory(name="Cardiology")


@pytest.fixture
def doctor_client(client_for):
    """A doctor (client.user.doctor_profile is their profile)."""
    return client_for(Role.DOCTOR)


@pytest.fixture
def nurse_client(client_for, department):
    """A nurse of the Cardiology department."""
    return client_for(Role.NURSE, department=department)


@pytest.fixture
def patient_client(client_for):
    """A patient user with their own record (client.user.patient_record)."""
    return client_for(Role.PATIENT)


@pytest.fixture
def engineer_client(client_for):
    return client_for(Role.ENGINEER)


@pytest.fixture
def clients(admin_client, doctor_client, nurse_client, patient_client, engineer_client):
    return {Role.ADMIN: admin_client, Role.DOCTOR: doctor_client, Role.NURSE: nurse_client,
            Role.PATIENT: patient_client, Role.ENGINEER: engineer_client}


@pytest.fixture
def other_patient(db):
    """A patient nobody in the fixtures above is connected to."""
    return PatientFactory(user=UserFactory(role=Role.PATIENT))


@pytest.fixture
def own_consultation(doctor_client, department):
    """A confirmed appointment of the doctor's with a patient of the nurse's department, and its consultation."""
    appointment = AppointmentFactory(slot=TimeSlotFactory(doctor=doctor_client.user.doctor_profile),
                                     patient=PatientFactory(department=department), status=AppointmentStatus.CONFIRMED)
    return ConsultationFactory(appointment=appointment)
