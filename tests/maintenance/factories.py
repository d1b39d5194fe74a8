"""PM schedule factory (the maintenance tests' own; tests/factories is shared by other apps)."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from maintenance.choices import BasedOn, Frequency
from maintenance.models import PMSchedule
from tests.factories.equipment import DeviceFactory


class PMScheduleFactory(DjangoModelFactory):
    class Meta:
        model = PMSchedule

    device = factory.SubFactory(DeviceFactory)
    title = factory.Sequence(lambda n: f"Safety check {n}")
    checklist = factory.LazyFunction(lambda: ["Inspect the cord", "Test the alarms"])
    frequency = Frequency.MONTHLY
    interval = 1
    based_on = BasedOn.SCHEDULED_DATE
    next_due_date = factory.LazyFunction(timezone.localdate)
    lead_days = 0
    active = True
