import factory
from factory.django import DjangoModelFactory

from accounts.choices import ApprovalStatus, Role
from accounts.models import User
from clinical.models import Department, DoctorProfile, Patient, PatientDoctorMapping

DEFAULT_PASSWORD = "Correct-Horse-42"


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    role = Role.PATIENT
    approval_status = ApprovalStatus.APPROVED
    is_active = True
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])

    class Params:
        admin = factory.Trait(role=Role.ADMIN, is_staff=True)
        doctor = factory.Trait(
            role=Role.DOCTOR,
            doctor_profile=factory.RelatedFactory("tests.factories.accounts.DoctorProfileFactory", "user"),
        )
        nurse = factory.Trait(role=Role.NURSE)
        engineer = factory.Trait(role=Role.ENGINEER)
        patient = factory.Trait(
            role=Role.PATIENT,
            patient_record=factory.RelatedFactory(
                "tests.factories.accounts.PatientFactory", "user",
                first_name=factory.SelfAttribute("..first_name"),
                last_name=factory.SelfAttribute("..last_name"),
            ),
        )
        pending = factory.Trait(approval_status=ApprovalStatus.PENDING, is_active=False)


class DoctorProfileFactory(DjangoModelFactory):
    class Meta:
        model = DoctorProfile

    user = factory.SubFactory(UserFactory, role=Role.DOCTOR)
    medical_license_number = factory.Sequence(lambda n: f"LIC-{n:05d}")
    specialization = "Cardiology"


class PatientFactory(DjangoModelFactory):
    class Meta:
        model = Patient

    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Patient{n}")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=1, maximum_age=95)
    email = factory.LazyAttribute(lambda p: f"{p.last_name.lower()}@example.org")


def user_for_role(role, **kwargs):
    """A user of the given role, with the profile the role implies."""
    return UserFactory(**{role.value if hasattr(role, "value") else role: True}, **kwargs)


class PatientDoctorMappingFactory(DjangoModelFactory):
    class Meta:
        model = PatientDoctorMapping

    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SubFactory(DoctorProfileFactory)
