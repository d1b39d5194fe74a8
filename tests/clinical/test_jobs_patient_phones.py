"""Patients' phone numbers are E.164 (reminder SMS go to them): validated on every API write,
separators dropped, blank allowed; the record made at sign-up and the stored numbers follow."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from accounts.choices import Role
from clinical.models import Patient
from clinical.profiles import patient_record_build
from core.testing import assert_error
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = {"first_name": "Ada", "last_name": "Lovelace", "date_of_birth": "1990-05-01"}


@pytest.mark.parametrize("field", ["phone", "emergency_contact_phone"])
@pytest.mark.parametrize("value", ["0501234567", "966501234567", "+0501234567", "+1234567", "+1234567890123456",
                                   "call me", "+966 50 123 456x"])
def test_a_number_that_is_not_e164_is_a_400_naming_the_field(admin_client, field, value):
    body = assert_error(admin_client.post("/api/patients/", {**NEW, field: value}, format="json"), 400,
                        fields=[field])
    assert "+966501234567" in str(body["errors"][field])  # the message shows an example
    assert not Patient.objects.filter(last_name="Lovelace").exists()


@pytest.mark.parametrize(("value", "stored"), [
    ("+966501234567", "+966501234567"),
    ("+966 50 123 4567", "+966501234567"),
    ("+1 (415) 555-0100", "+14155550100"),
    ("", ""),
])
def test_valid_numbers_are_stored_in_e164(admin_client, value, stored):
    response = admin_client.post("/api/patients/", {**NEW, "phone": value, "emergency_contact_phone": value},
                                 format="json")
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == stored
    record = Patient.objects.get(pk=response.json()["id"])
    assert record.phone == stored and record.emergency_contact_phone == stored


def test_a_patient_editing_their_own_number_is_held_to_it_too(patient_client):
    record = patient_client.user.patient_record
    Patient.objects.filter(pk=record.pk).update(phone="+966501234567")
    assert_error(patient_client.patch(f"/api/patients/{record.id}/", {"phone": "050 123 4567"}, format="json"),
                 400, fields=["phone"])
    record.refresh_from_db()
    assert record.phone == "+966501234567"
    response = patient_client.patch(f"/api/patients/{record.id}/", {"phone": "+966 55 000 1111"}, format="json")
    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert record.phone == "+966550001111"


def test_a_nurse_put_with_a_bad_emergency_number_changes_nothing(nurse_client, department):
    record = PatientFactory(department=department, phone="+966501234567")
    response = nurse_client.put(f"/api/patients/{record.id}/", {**NEW, "phone": "+966501234568",
                                                                "emergency_contact_phone": "112"}, format="json")
    assert_error(response, 400, fields=["emergency_contact_phone"])
    record.refresh_from_db()
    assert record.phone == "+966501234567" and record.first_name != "Ada"


def test_the_model_refuses_a_bad_number_too():
    # Django admin's forms run the model's validators: the same rule there.
    with pytest.raises(ValidationError) as raised:
        PatientFactory.build(phone="0501234567").full_clean(exclude=["medical_record_number"])
    assert "phone" in raised.value.message_dict


@pytest.mark.parametrize(("account_phone", "record_phone"), [
    ("+966 50 123 4567", "+966501234567"),
    ("0501234567", ""),  # not E.164: kept on the account, the record's left blank
    ("", ""),
])
def test_the_record_made_at_sign_up_carries_the_account_number_in_e164(account_phone, record_phone):
    user = UserFactory(role=Role.PATIENT, phone=account_phone)
    patient_record_build(user, {})
    assert Patient.objects.get(user=user).phone == record_phone


def test_the_migration_normalises_stored_numbers_it_can():
    migration = importlib.import_module("clinical.migrations.0008_appointment_reminders_and_e164_phones")
    spaced = PatientFactory()
    legacy = PatientFactory()
    Patient.objects.filter(pk=spaced.pk).update(phone="+966 50 123-4567", emergency_contact_phone="+1 415 555 0100")
    Patient.objects.filter(pk=legacy.pk).update(phone="0501234567")
    migration.normalise_stored_phones(apps, None)
    spaced.refresh_from_db()
    legacy.refresh_from_db()
    assert (spaced.phone, spaced.emergency_contact_phone) == ("+966501234567", "+14155550100")
    assert legacy.phone == "0501234567"  # left for a person to correct
