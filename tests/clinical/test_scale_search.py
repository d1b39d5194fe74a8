"""?medical_record_number= is a case-insensitive prefix (issue 15: an identifier prefix an index serves)."""
import pytest

from accounts.choices import Role
from tests.factories import PatientFactory
from tests.factories.clinical import AppointmentFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db


def test_a_medical_record_number_prefix_finds_its_records_in_any_case(client_for):
    admin = client_for(Role.ADMIN)
    first, second, other = (PatientFactory() for _ in range(3))
    for record, number in ((first, "MRN-7000001"), (second, "MRN-7000002"), (other, "MRN-8000001")):
        type(record).objects.filter(pk=record.pk).update(medical_record_number=number)

    def found(value):
        response = admin.get("/api/patients/", {"medical_record_number": value})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert found("mrn-70000") == {first.pk, second.pk}
    assert found("MRN-7000002") == {second.pk}  # fixed width: a whole number is exactly its record
    assert found("MRN-9") == set()


def test_appointment_search_matches_the_reason_or_the_patient_and_every_term(client_for):
    """?search= on /appointments/ asks the patient's fields of the patients' own indexes
    (PatientFieldsSearchFilter): the same rows as DRF's search across the join, within the scope."""
    doctor = client_for(Role.DOCTOR)
    profile = doctor.user.doctor_profile
    haddad = PatientFactory(first_name="Lina", last_name="Haddad")
    khalil = PatientFactory(first_name="Omar", last_name="Khalil")
    by_reason = AppointmentFactory(slot=TimeSlotFactory(doctor=profile), patient=khalil, reason="Haddad referral")
    by_name = AppointmentFactory(slot=TimeSlotFactory(doctor=profile), patient=haddad, reason="Follow-up")
    other = AppointmentFactory(slot=TimeSlotFactory(doctor=profile), patient=khalil, reason="Follow-up")
    AppointmentFactory(patient=haddad, reason="Haddad")  # another doctor's: out of scope

    def found(term):
        response = doctor.get("/api/appointments/", {"search": term})
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert found("hADDad") == {by_reason.pk, by_name.pk}
    assert found(khalil.medical_record_number.lower()) == {by_reason.pk, other.pk}
    assert found("follow lina") == {by_name.pk}  # every term, each in any field
    assert found("omar referral") == {by_reason.pk}
    assert found("nobody") == set()
    assert found("dd") == {by_reason.pk, by_name.pk}  # under three characters: DRF's join, same rows
    assert found("ma") == {by_reason.pk, other.pk}
