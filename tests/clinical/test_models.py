"""The database itself refuses what must never be stored, whatever code path writes."""

from datetime import time
from itertools import pairwise

import pytest
from django.db import IntegrityError, transaction

from clinical.choices import APPOINTMENT_TRANSITIONS, AppointmentStatus, can_transition
from clinical.models import Appointment, Patient, TimeSlot, VitalSigns
from tests.factories import PatientFactory
from tests.factories.clinical import AppointmentFactory, ConsultationFactory, TimeSlotFactory

pytestmark = pytest.mark.django_db

S = AppointmentStatus


def test_second_live_appointment_for_a_slot_is_refused_by_the_database():
    first = AppointmentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(slot=first.slot, doctor=first.doctor, patient=PatientFactory())
    Appointment.objects.filter(pk=first.pk).update(status=S.CANCELLED)
    Appointment.objects.create(slot=first.slot, doctor=first.doctor, patient=PatientFactory())
    assert Appointment.objects.filter(slot=first.slot).count() == 2


def test_slot_end_after_start_is_a_database_rule():
    slot = TimeSlotFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        TimeSlot.objects.create(doctor=slot.doctor, date=slot.date, start_time=time(12, 0), end_time=time(11, 0))


def test_diastolic_below_systolic_is_a_database_rule():
    consultation = ConsultationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        VitalSigns.objects.create(consultation=consultation, systolic_bp=80, diastolic_bp=90)
    assert not VitalSigns.objects.exists()


def test_patient_thresholds_are_a_database_rule():
    with pytest.raises(IntegrityError), transaction.atomic():
        Patient.objects.create(first_name="A", last_name="B", hr_low=100, hr_high=90)


def test_transition_table_final_states_and_main_path():
    assert all(not APPOINTMENT_TRANSITIONS[s] for s in (S.COMPLETED, S.CANCELLED, S.NO_SHOW))
    path = [S.SCHEDULED, S.CONFIRMED, S.IN_PROGRESS, S.COMPLETED]
    assert all(can_transition(a, b) for a, b in pairwise(path))
    assert not can_transition(S.SCHEDULED, S.COMPLETED)
    assert not can_transition(S.IN_PROGRESS, S.CANCELLED)


def test_live_appointments_are_every_status_but_cancelled():
    """One definition of "holds its slot": the queryset, the free-slot annotation and the partial
    unique index agree."""
    by_status = {status: AppointmentFactory(status=status) for status in S}
    live = set(Appointment.objects.live().values_list("pk", flat=True))
    assert live == {a.pk for status, a in by_status.items() if status != S.CANCELLED}
    slots = TimeSlot.objects.with_availability().filter(pk__in=[a.slot_id for a in by_status.values()])
    assert {slot.pk for slot in slots if not slot.is_booked} == {by_status[S.CANCELLED].slot_id}
