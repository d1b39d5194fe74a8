"""Clinical factories: time slots, appointments, consultations and what a consultation records."""

from datetime import time, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from clinical.choices import AppointmentStatus, NoteType
from clinical.models import (
    Appointment,
    AppointmentHistory,
    Consultation,
    ConsultationNote,
    Prescription,
    TimeSlot,
    VitalSigns,
)
from tests.factories.accounts import DoctorProfileFactory, PatientFactory


class TimeSlotFactory(DjangoModelFactory):
    """A future slot; each one on its own day, so slots of one doctor never overlap by accident."""

    class Meta:
        model = TimeSlot

    doctor = factory.SubFactory(DoctorProfileFactory)
    date = factory.Sequence(lambda n: timezone.localdate() + timedelta(days=1 + n))
    start_time = time(9, 0)
    end_time = time(9, 30)


class AppointmentFactory(DjangoModelFactory):
    class Meta:
        model = Appointment
        skip_postgeneration_save = True

    slot = factory.SubFactory(TimeSlotFactory)
    doctor = factory.SelfAttribute("slot.doctor")
    patient = factory.SubFactory(PatientFactory)
    reason = "Check-up"
    status = AppointmentStatus.SCHEDULED

    @factory.post_generation
    def booked(obj, create, extracted, **kwargs):
        if create:
            AppointmentHistory.objects.create(appointment=obj, to_status=obj.status, to_slot=obj.slot, note="booked")


class ConsultationFactory(DjangoModelFactory):
    class Meta:
        model = Consultation

    appointment = factory.SubFactory(AppointmentFactory, status=AppointmentStatus.CONFIRMED)
    chief_complaint = "Chest pain"


class VitalSignsFactory(DjangoModelFactory):
    class Meta:
        model = VitalSigns

    consultation = factory.SubFactory(ConsultationFactory)
    systolic_bp = 120
    diastolic_bp = 80
    heart_rate = 70


class PrescriptionFactory(DjangoModelFactory):
    class Meta:
        model = Prescription

    consultation = factory.SubFactory(ConsultationFactory)
    medication = "Amoxicillin"
    dosage = "500 mg"
    frequency = "3x daily"


class ConsultationNoteFactory(DjangoModelFactory):
    class Meta:
        model = ConsultationNote

    consultation = factory.SubFactory(ConsultationFactory)
    note_type = NoteType.ASSESSMENT
    content = "Stable."
