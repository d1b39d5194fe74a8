"""factory_boy factories, one module per domain: tests.factories.accounts, .equipment, .clinical, ...

The accounts factories (users with role traits, departments, doctor profiles, patients) are
re-exported here because every app's tests need them.
"""

from tests.factories.accounts import (
    DEFAULT_PASSWORD,
    DepartmentFactory,
    DoctorProfileFactory,
    PatientDoctorMappingFactory,
    PatientFactory,
    UserFactory,
    user_for_role,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "DepartmentFactory",
    "DoctorProfileFactory",
    "PatientDoctorMappingFactory",
    "PatientFactory",
    "UserFactory",
    "user_for_role",
]
