"""Who a booking is for is the scheduling service's rule (the API, admin and jobs share it)."""
import pytest
from rest_framework.exceptions import ValidationError

from clinical.services import booking_patient
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_patient_books_for_their_own_record_others_must_name_one():
    patient_user = UserFactory(patient=True)
    assert booking_patient(by=patient_user) == patient_user.patient_record
    named = PatientFactory()
    assert booking_patient(by=UserFactory(nurse=True), patient=named) == named
    with pytest.raises(ValidationError) as excinfo:
        booking_patient(by=UserFactory(nurse=True))
    assert set(excinfo.value.detail) == {"patient"}


def test_an_archived_own_record_is_no_default():
    patient_user = UserFactory(patient=True)
    patient_user.patient_record.is_archived = True
    patient_user.patient_record.save()
    with pytest.raises(ValidationError):
        booking_patient(by=patient_user)
