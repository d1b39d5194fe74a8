"""Factories for monitoring: a monitored patient (patient + assigned monitor), readings, alerts."""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from monitoring.choices import AlertKind, AlertSeverity
from monitoring.models import Alert, Reading
from tests.factories.accounts import PatientFactory
from tests.factories.equipment import DeviceFactory


def monitored_patient(**patient_fields):
    """A patient with an assigned bedside monitor."""
    patient = PatientFactory(**patient_fields)
    monitor = DeviceFactory(monitor=True, patient=patient)
    return patient, monitor


class ReadingFactory(DjangoModelFactory):
    class Meta:
        model = Reading

    patient = factory.SubFactory(PatientFactory)
    device = factory.SubFactory(DeviceFactory, monitor=True)
    bpm = 72
    recorded_at = factory.Sequence(lambda n: timezone.now() - timedelta(seconds=n + 1))


class AlertFactory(DjangoModelFactory):
    class Meta:
        model = Alert

    patient = factory.SubFactory(PatientFactory)
    kind = AlertKind.TACHYCARDIA
    severity = AlertSeverity.WARNING
    first_value = last_value = peak_value = 130
    opened_at = last_breach_at = factory.LazyFunction(timezone.now)
