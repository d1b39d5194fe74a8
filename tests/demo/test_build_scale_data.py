"""build_scale_data: the sizes asked for, the scopes it is built to exercise, a product that keeps
working on top of it (ids and numbers continue), and clear refusals (SQLite, a second run)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from accounts.models import User
from clinical.models import Appointment, Consultation, Patient
from devices.models import Device
from monitoring.models import Alert
from spareparts.models import SparePartRequest
from workorders.models import WorkOrder
from workorders.services import next_work_number

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk SQL for PostgreSQL")
SIZES = {"devices": 500, "workorders": 1000, "patients": 250, "appointments": 500}


def build(**options):
    out = io.StringIO()
    call_command("build_scale_data", stdout=out, **options)
    return out.getvalue()


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the SQLite refusal")
def test_build_scale_data_refuses_sqlite_and_stores_nothing():
    with pytest.raises(CommandError, match="PostgreSQL"):
        build(scale=0.01)
    assert User.objects.count() == 0


@postgres_only
def test_build_scale_data_builds_the_sizes_asked_and_refuses_a_second_run():
    output = build(**SIZES)
    counts = (Device.objects.count(), WorkOrder.objects.count(), Patient.objects.count(), Appointment.objects.count())
    assert counts == (500, 1000, 250, 500)
    assert "work orders" in output and "1,000" in output
    assert Consultation.objects.filter(appointment__status="completed").count() == Consultation.objects.count() > 0
    assert SparePartRequest.objects.count() == 100
    with pytest.raises(CommandError, match="already holds scale data"):
        build(**SIZES)
    assert WorkOrder.objects.count() == 1000


@postgres_only
def test_build_scale_data_gives_each_scoped_role_rows_of_its_own():
    build(**SIZES)
    users = {role: User.objects.get(username=f"scale-{role}-1") for role in ("doctor", "nurse", "engineer", "patient")}
    doctor_patients = Patient.objects.visible_to(users["doctor"])
    assert 0 < doctor_patients.count() < Patient.objects.count()
    assert Device.objects.visible_to(users["doctor"]).exists()  # monitors of the doctor's patients
    assert 0 < Device.objects.visible_to(users["nurse"]).count() < Device.objects.count()
    assert 0 < WorkOrder.objects.visible_to(users["engineer"]).count() < WorkOrder.objects.count()
    assert WorkOrder.objects.visible_to(users["nurse"]).exists()
    assert Alert.objects.visible_to(users["nurse"]).exists() and Alert.objects.visible_to(users["doctor"]).exists()
    assert Appointment.objects.visible_to(users["patient"]).exists()
    # Every work order's reporter is a nurse of its device, its assignee the device's engineer.
    assert not WorkOrder.objects.exclude(device__assigned_nurses=F("created_by")).exists()
    assigned = WorkOrder.objects.filter(assigned_to__isnull=False)
    assert assigned.exists() and not assigned.exclude(assigned_to=F("device__assigned_engineer")).exists()


@postgres_only
def test_the_product_creates_rows_after_the_scale_data_without_collisions():
    build(**SIZES)
    # A fresh test database: the scale data took MRN 1-250 and this month's WO 1-1000 from the counters.
    patient = Patient.objects.create(first_name="After", last_name="Scale")
    assert patient.medical_record_number == "MRN-0000251"
    assert patient.pk > max(Patient.objects.exclude(pk=patient.pk).values_list("pk", flat=True))
    assert next_work_number().endswith("-1001")
