import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error, authenticated_client
from monitoring.choices import AlertStatus
from monitoring.models import Alert
from monitoring.services import breach_of
from tests.factories import UserFactory
from tests.factories.monitoring import AlertFactory, monitored_patient

pytestmark = pytest.mark.django_db


def post_bpms(client, monitor, bpms, start=None):
    start = start or timezone.now() - timedelta(minutes=30)
    body = [{"device": monitor.id, "bpm": bpm, "recorded_at": (start + timedelta(seconds=i)).isoformat()}
            for i, bpm in enumerate(bpms)]
    response = client.post("/api/records/", body, format="json")
    assert response.status_code == 201, response.content
    return response


@pytest.mark.parametrize("bpm, expected", [
    (72, None), (120, None), (50, None),
    (121, ("tachycardia", "warning")), (150, ("tachycardia", "warning")), (151, ("tachycardia", "critical")),
    (49, ("bradycardia", "warning")), (40, ("bradycardia", "warning")), (39, ("bradycardia", "critical")),
])
def test_breach_bands_with_default_thresholds(bpm, expected):
    assert breach_of(bpm, 50, 120) == expected


def test_sustained_breaches_open_one_alert_per_kind_and_later_breaches_update_it(ward):
    # Sustained: 3 consecutive readings beyond the threshold (see tests/monitoring/test_rules.py).
    post_bpms(ward.nurse, ward.monitor, [70, 130, 125, 140, 45, 45, 45])
    alerts = {a.kind: a for a in Alert.objects.all()}
    assert set(alerts) == {"tachycardia", "bradycardia"}
    tachy = alerts["tachycardia"]
    assert (tachy.breach_count, tachy.first_value, tachy.last_value, tachy.peak_value, tachy.severity) == (
        3, 130, 140, 140, "warning")
    post_bpms(ward.nurse, ward.monitor, [160, 122], start=timezone.now() - timedelta(minutes=10))
    tachy.refresh_from_db()
    assert Alert.objects.filter(kind="tachycardia").count() == 1
    assert (tachy.breach_count, tachy.last_value, tachy.peak_value, tachy.severity) == (5, 122, 160, "critical")


def test_replayed_batch_does_not_count_breaches_twice(ward):
    start = timezone.now() - timedelta(minutes=5)
    post_bpms(ward.nurse, ward.monitor, [130, 131, 132], start=start)
    post_bpms(ward.nurse, ward.monitor, [130, 131, 132], start=start)
    assert Alert.objects.get().breach_count == 3


def test_patient_thresholds_are_used(ward):
    ward.patient.hr_high = 90
    ward.patient.save()
    post_bpms(ward.nurse, ward.monitor, [95, 95, 95])
    assert Alert.objects.get().kind == "tachycardia"


def test_a_resolved_alert_lets_a_new_one_open(ward):
    post_bpms(ward.nurse, ward.monitor, [130, 130, 130])
    first = Alert.objects.get()
    ward.nurse.post(f"/api/alerts/{first.id}/resolve/", {}, format="json")
    post_bpms(ward.nurse, ward.monitor, [135, 135, 135], start=timezone.now() - timedelta(minutes=1))
    assert Alert.objects.count() == 2
    assert Alert.objects.get(status=AlertStatus.OPEN).last_value == 135


def test_acknowledged_alert_keeps_being_updated(ward):
    post_bpms(ward.nurse, ward.monitor, [130, 130, 130])
    alert = Alert.objects.get()
    ward.doctor.post(f"/api/alerts/{alert.id}/acknowledge/")
    post_bpms(ward.nurse, ward.monitor, [140], start=timezone.now() - timedelta(minutes=1))
    alert.refresh_from_db()
    assert (Alert.objects.count(), alert.status, alert.breach_count) == (1, "acknowledged", 4)


# --- routes -------------------------------------------------------------------------------------

def test_alert_list_scoping_and_filters(ward, admin_client):
    mine = AlertFactory(patient=ward.patient)
    AlertFactory(patient=ward.patient, kind="bradycardia", severity="critical", first_value=30, last_value=30,
                 peak_value=30)
    other_patient, _ = monitored_patient()
    AlertFactory(patient=other_patient)
    assert ward.nurse.get("/api/alerts/").json()["count"] == 2
    assert ward.doctor.get("/api/alerts/").json()["count"] == 2
    assert admin_client.get("/api/alerts/").json()["count"] == 3
    assert ward.stranger_nurse.get("/api/alerts/").json()["count"] == 0
    critical = ward.nurse.get("/api/alerts/?severity=critical").json()["results"]
    assert [a["kind"] for a in critical] == ["bradycardia"]
    assert ward.nurse.get(f"/api/alerts/?patient={ward.patient.id}&status=open").json()["count"] == 2
    assert_error(ward.nurse.get("/api/alerts/?status=sleeping"), 400, fields=["status"])
    hidden = assert_error(ward.nurse.get(f"/api/alerts/?patient={other_patient.id}"), 400, fields=["patient"])
    missing = assert_error(ward.nurse.get("/api/alerts/?patient=999999"), 400, fields=["patient"])
    assert hidden["errors"]["patient"][0].replace(str(other_patient.id), "X") == \
        missing["errors"]["patient"][0].replace("999999", "X")
    assert_error(ward.nurse.get("/api/alerts/?device=99999999999999999999"), 400, fields=["device"])
    assert ward.nurse.get(f"/api/alerts/{mine.id}/").json()["patient"] == ward.patient.id
    assert_error(ward.stranger_nurse.get(f"/api/alerts/{mine.id}/"), 404)


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.PATIENT])
def test_engineers_and_patients_cannot_see_alerts(client_for, ward, role):
    alert = AlertFactory(patient=ward.patient)
    client = client_for(role)
    assert_error(client.get("/api/alerts/"), 403)
    assert_error(client.post(f"/api/alerts/{alert.id}/acknowledge/"), 403)


def test_acknowledge_then_resolve_records_who_and_when(ward):
    alert = AlertFactory(patient=ward.patient)
    body = ward.nurse.post(f"/api/alerts/{alert.id}/acknowledge/").json()
    assert body["status"] == "acknowledged" and body["acknowledged_by"] == ward.nurse.user.id
    assert body["acknowledged_at"]
    body = ward.doctor.post(f"/api/alerts/{alert.id}/resolve/", {"note": "Beta blocker given"}, format="json").json()
    assert body["status"] == "resolved" and body["resolved_by"] == ward.doctor.user.id
    alert.refresh_from_db()
    assert alert.note == "Beta blocker given" and alert.resolved_at is not None


def test_illegal_alert_transitions_are_409_and_change_nothing(ward):
    alert = AlertFactory(patient=ward.patient, status=AlertStatus.RESOLVED)
    assert_error(ward.nurse.post(f"/api/alerts/{alert.id}/acknowledge/"), 409, "invalid_transition")
    assert_error(ward.nurse.post(f"/api/alerts/{alert.id}/resolve/"), 409)
    acknowledged = AlertFactory(patient=ward.patient, kind="bradycardia", status=AlertStatus.ACKNOWLEDGED)
    assert_error(ward.nurse.post(f"/api/alerts/{acknowledged.id}/acknowledge/"), 409)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.acknowledged_by is None


def test_out_of_scope_alert_decisions_are_404(ward):
    alert = AlertFactory(patient=ward.patient)
    assert_error(ward.stranger_doctor.post(f"/api/alerts/{alert.id}/acknowledge/"), 404)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_alert_list_query_count_is_flat(ward, admin_client, django_assert_max_num_queries):
    for _ in range(30):
        patient, _monitor = monitored_patient()
        AlertFactory(patient=patient)
    with django_assert_max_num_queries(4):  # + the one INSERT of the read entries (audit.reads)
        assert len(admin_client.get("/api/alerts/?page_size=50").json()["results"]) == 30


@pytest.mark.django_db(transaction=True)
def test_concurrent_breaching_batches_open_exactly_one_alert():
    patient, monitor = monitored_patient()
    admin = UserFactory(admin=True)
    barrier = threading.Barrier(8)
    start = timezone.now() - timedelta(minutes=20)
    statuses = []

    def post(offset):
        try:
            client = authenticated_client(admin)
            body = [{"device": monitor.id, "bpm": 140 + offset,
                     "recorded_at": (start + timedelta(seconds=offset * 100 + i)).isoformat()} for i in range(50)]
            barrier.wait()
            statuses.append(client.post("/api/records/", body, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 8
    alert = Alert.objects.get()
    assert (alert.patient, alert.breach_count, alert.peak_value) == (patient, 400, 147)


def test_alerts_search_by_patient_name(ward):
    AlertFactory(patient=ward.patient)
    assert ward.nurse.get(f"/api/alerts/?search={ward.patient.last_name}").json()["count"] == 1
    assert ward.nurse.get("/api/alerts/?search=nobody-by-that-name").json()["count"] == 0
