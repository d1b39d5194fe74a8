"""Factories for hospitals, rooms, devices, work orders and spare-part requests."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.choices import Role
from devices.choices import DeviceCategory, DeviceStatus
from devices.models import Device, Hospital, InventoryCheck, Room
from spareparts.models import SparePartRequest
from tests.factories.accounts import UserFactory
from workorders.choices import Priority, WorkType
from workorders.models import WorkOrder


class HospitalFactory(DjangoModelFactory):
    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"Hospital {n}")
    address = "1 Main Street"
    phone = "+1 555 0100"


class RoomFactory(DjangoModelFactory):
    class Meta:
        model = Room

    hospital = factory.SubFactory(HospitalFactory)
    number = factory.Sequence(lambda n: f"R{n:03d}")
    name = "Ward"
    floor = 1


class DeviceFactory(DjangoModelFactory):
    class Meta:
        model = Device
        skip_postgeneration_save = True

    asset_number = factory.Sequence(lambda n: f"AST-{n:05d}")
    serial_number = factory.Sequence(lambda n: f"SN-{n:06d}")
    name = "Infusion pump"
    model = "IP-200"
    manufacturer = "Acme Medical"
    category = DeviceCategory.EQUIPMENT
    status = DeviceStatus.ACTIVE
    hospital = factory.SubFactory(HospitalFactory)
    room = factory.SubFactory(RoomFactory, hospital=factory.SelfAttribute("..hospital"))
    assigned_engineer = factory.SubFactory(UserFactory, role=Role.ENGINEER)

    class Params:
        monitor = factory.Trait(category=DeviceCategory.MONITOR, name="Bedside monitor", model="BM-9")

    @factory.post_generation
    def assigned_nurses(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.assigned_nurses.set(extracted)


class InventoryCheckFactory(DjangoModelFactory):
    class Meta:
        model = InventoryCheck

    device = factory.SubFactory(DeviceFactory)
    checked_by = factory.SelfAttribute("device.assigned_engineer")
    from_room = factory.SelfAttribute("device.room")
    to_room = factory.SelfAttribute("device.room")


class WorkOrderFactory(DjangoModelFactory):
    class Meta:
        model = WorkOrder

    work_number = factory.Sequence(lambda n: f"WO-TEST-{n:04d}")
    device = factory.SubFactory(DeviceFactory)
    description = "Alarm does not stop"
    work_type = WorkType.CORRECTIVE
    priority = Priority.MEDIUM
    created_by = factory.SubFactory(UserFactory, role=Role.NURSE)
    assigned_to = factory.SelfAttribute("device.assigned_engineer")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))


class SparePartRequestFactory(DjangoModelFactory):
    class Meta:
        model = SparePartRequest

    request_number = factory.Sequence(lambda n: f"SPR-TEST-{n:04d}")
    part_name = "Battery pack"
    description = "Holds charge for 10 minutes only"
    quantity = 2
    device = factory.SubFactory(DeviceFactory)
    requested_by = factory.SelfAttribute("device.assigned_engineer")
