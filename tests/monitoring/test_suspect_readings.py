"""Readings from a monitor under repair, not active or overdue for calibration are stored as suspect."""

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Device
from monitoring.models import Alert, Reading
from monitoring.services import SUSPECT_NOTE
from tests.factories.equipment import WorkOrderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ingest_path")]


def post(client, monitor, bpms, start=None):
    start = start or timezone.now() - timedelta(minutes=30)
    body = [{"device": monitor.id, "bpm": bpm, "recorded_at": (start + timedelta(seconds=i)).isoformat()}
            for i, bpm in enumerate(bpms)]
    assert client.post("/api/records/", body, format="json").status_code == 201


def make_suspect(monitor, cause):
    if cause == "status":
        Device.objects.filter(pk=monitor.pk).update(status="maintenance")
    elif cause == "calibration":
        Device.objects.filter(pk=monitor.pk).update(next_calibration_due=timezone.localdate() - timedelta(days=1))
    elif cause == "work_order":
        WorkOrderFactory(device=monitor, work_type="CM", status="in_progress")


@pytest.mark.parametrize("cause", ["status", "calibration", "work_order"])
def test_each_cause_marks_the_readings_and_the_alert_they_open(ward, cause):
    make_suspect(ward.monitor, cause)
    post(ward.nurse, ward.monitor, [72, 130, 130, 130])
    assert set(Reading.objects.values_list("device_suspect", flat=True)) == {True}
    alert = Alert.objects.get()
    assert alert.device_suspect is True and alert.note == SUSPECT_NOTE
    body = ward.nurse.get(f"/api/records/{ward.patient.id}/").json()
    assert {r["device_suspect"] for r in body["results"]} == {True}
    assert ward.nurse.get("/api/alerts/?device_suspect=true").json()["count"] == 1
    assert ward.nurse.get("/api/alerts/?device_suspect=false").json()["count"] == 0


@pytest.mark.parametrize("cause", ["healthy", "calibration_due_today", "closed_cm", "open_pm"])
def test_a_healthy_monitor_stores_trusted_readings(ward, cause):
    if cause == "calibration_due_today":
        Device.objects.filter(pk=ward.monitor.pk).update(next_calibration_due=timezone.localdate())
    elif cause == "closed_cm":
        WorkOrderFactory(device=ward.monitor, work_type="CM", status="closed", completed_date=timezone.localdate())
    elif cause == "open_pm":
        WorkOrderFactory(device=ward.monitor, work_type="PM")
    post(ward.nurse, ward.monitor, [130, 130, 130])
    assert set(Reading.objects.values_list("device_suspect", flat=True)) == {False}
    alert = Alert.objects.get()
    assert alert.device_suspect is False and alert.note == ""
    assert ward.nurse.get(f"/api/alerts/{alert.id}/").json()["device_suspect"] is False


def test_the_flag_follows_the_monitor_at_the_time_of_ingest(ward):
    start = timezone.now() - timedelta(minutes=30)
    post(ward.nurse, ward.monitor, [72, 73], start)
    make_suspect(ward.monitor, "status")
    post(ward.nurse, ward.monitor, [74, 75, 76], start + timedelta(seconds=10))
    flags = list(Reading.objects.order_by("recorded_at").values_list("device_suspect", flat=True))
    assert flags == [False, False, True, True, True]


def test_buckets_count_suspect_readings_raw_and_rollup(ward):
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=2)
    post(ward.nurse, ward.monitor, [70] * 4, start)
    make_suspect(ward.monitor, "calibration")
    post(ward.nurse, ward.monitor, [80] * 3, start + timedelta(seconds=10))
    raw = ward.nurse.get(f"/api/records/{ward.patient.id}/?bucket=1h").json()
    assert raw["source"] == "raw"
    assert sum(b["count"] for b in raw["results"]) == 7 and sum(b["suspect_count"] for b in raw["results"]) == 3
    frm = (start - timedelta(days=3)).isoformat().replace("+00:00", "Z")
    rollup = ward.nurse.get(f"/api/records/{ward.patient.id}/?bucket=1h&from={frm}").json()
    assert rollup["source"] == "rollup"
    assert [(b["count"], b["suspect_count"]) for b in rollup["results"]] == [(7, 3)]


def test_alert_filters_kind_and_escalation_level(ward, admin_client):
    from tests.factories.monitoring import AlertFactory

    AlertFactory(patient=ward.patient, kind="device_offline", first_value=None, last_value=None, peak_value=None)
    AlertFactory(patient=ward.patient, escalation_level=2)
    assert [a["kind"] for a in ward.nurse.get("/api/alerts/?kind=device_offline").json()["results"]] == [
        "device_offline"]
    body = ward.nurse.get("/api/alerts/?escalation_level__gte=1").json()
    assert [(a["kind"], a["escalation_level"]) for a in body["results"]] == [("tachycardia", 2)]
    assert set(body["results"][0]) >= {"device_suspect", "escalation_level", "escalated_at", "work_order"}
    from core.testing import assert_error

    assert_error(ward.nurse.get("/api/alerts/?escalation_level__gte=x"), 400, fields=["escalation_level__gte"])
    assert_error(ward.nurse.get("/api/alerts/?device_suspect=maybe"), 400, fields=["device_suspect"])
