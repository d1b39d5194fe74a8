"""?medical_record_number= is a case-insensitive prefix (issue 15: an identifier prefix an index serves)."""
import pytest

from accounts.choices import Role
from tests.factories import PatientFactory

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
