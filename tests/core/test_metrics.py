"""`GET /metrics`: Prometheus' text format for the allowed addresses or the metrics token, and the
plain 404 of a path that does not exist for anyone else; our counters move when things happen."""

import importlib.util
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.http import Http404
from django.test import Client, RequestFactory
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.choices import Role
from config import devserver
from core import metrics_view
from core.jobs import run_job
from core.metrics import JOB_RUNS, READINGS_INGESTED, OpenAlertsCollector
from monitoring.choices import AlertKind, AlertSeverity, AlertStatus
from monitoring.ingest import Batch, ParsedReading
from monitoring.services import readings_ingest
from tests.factories import DepartmentFactory, UserFactory
from tests.factories.monitoring import AlertFactory, monitored_patient

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture(autouse=True)
def _metrics_settings(settings):
    settings.METRICS_ALLOWED_ADDRESSES = ["127.0.0.1", "::1", "10.1.0.0/16"]
    settings.METRICS_TOKEN = TOKEN


def scrape(address="127.0.0.1", **headers):
    return Client(REMOTE_ADDR=address).get("/metrics", **headers)


def samples(response):
    assert response.status_code == 200, response.content
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def value(response, name, **labels):
    return samples(response).get((name, tuple(sorted(labels.items()))), 0)


def not_found_page():
    return Client(REMOTE_ADDR="203.0.113.9").get("/no-such-page")


# --- who may read ---------------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "::ffff:127.0.0.1"])
def test_allowed_address_reads_prometheus_text(address):
    response = scrape(address)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    for name in ("meditrack_readings_ingested_total", "meditrack_job_runs_total", "meditrack_hl7_messages_total",
                 "meditrack_webhook_deliveries_total", "meditrack_open_alerts",
                 "django_http_requests_latency_seconds_by_view_method", "django_http_responses_total_by_status"):
        assert f"# TYPE {name}" in body, name


@pytest.mark.parametrize("address", ["203.0.113.9", "10.2.0.1", "not-an-address"])
def test_other_address_gets_the_plain_404_of_an_unknown_path(address):
    response = scrape(address)
    unknown = not_found_page()
    assert response.status_code == 404 == unknown.status_code
    assert response["Content-Type"] == unknown["Content-Type"]
    assert response.content.replace(b"/metrics", b"/no-such-page") == unknown.content
    assert b"meditrack_" not in response.content


def test_a_request_without_a_client_address_is_the_404():
    request = RequestFactory().get("/metrics")
    del request.META["REMOTE_ADDR"]
    with pytest.raises(Http404):
        metrics_view.metrics(request)


def test_the_token_opens_it_from_any_address():
    response = scrape("203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200 and b"meditrack_job_runs_total" in response.content


@pytest.mark.parametrize("header", [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Token {TOKEN}",
                                    TOKEN, "Bearer ünïcode"])
def test_a_wrong_token_is_the_404(header):
    assert scrape("203.0.113.9", HTTP_AUTHORIZATION=header).status_code == 404


def test_an_empty_metrics_token_matches_nothing(settings):
    settings.METRICS_TOKEN = ""
    assert scrape("203.0.113.9", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert scrape("203.0.113.9", HTTP_AUTHORIZATION="Bearer").status_code == 404


def test_forwarded_for_is_trusted_only_as_far_as_num_proxies(settings):
    # Direct: a client cannot name its own address.
    assert scrape("203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 404
    # Behind one proxy on loopback: the client the proxy saw counts, not the proxy's address.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert scrape("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert scrape("127.0.0.1", HTTP_X_FORWARDED_FOR="10.1.0.7").status_code == 200


def test_a_write_method_from_an_allowed_address_is_405_and_from_others_404():
    # CSRF checks on, as a real client meets them: the answer is the 405, not Django's CSRF page
    assert Client(REMOTE_ADDR="127.0.0.1", enforce_csrf_checks=True).post("/metrics").status_code == 405
    assert Client(REMOTE_ADDR="203.0.113.9", enforce_csrf_checks=True).post("/metrics").status_code == 404


# --- the counts move --------------------------------------------------------------------------------

def test_stored_readings_count_once_by_source(client_for, django_capture_on_commit_callbacks):
    department = DepartmentFactory()
    _patient, monitor = monitored_patient(department=department)
    nurse = client_for(UserFactory(role=Role.NURSE, department=department))
    start = timezone.now() - timedelta(hours=1)
    readings = [{"device": monitor.id, "bpm": 72, "recorded_at": (start + timedelta(seconds=i)).isoformat()}
                for i in range(5)]
    before = value(scrape(), "meditrack_readings_ingested_total", source="api")
    with django_capture_on_commit_callbacks(execute=True):
        assert nurse.post("/api/records/", readings, format="json").status_code == 201
    assert value(scrape(), "meditrack_readings_ingested_total", source="api") == before + 5
    with django_capture_on_commit_callbacks(execute=True):  # a replay stores nothing: counts nothing
        assert nurse.post("/api/records/", readings, format="json").json()["created"] == 0
    assert value(scrape(), "meditrack_readings_ingested_total", source="api") == before + 5


def test_the_hl7_door_counts_under_its_own_source_only(django_capture_on_commit_callbacks):
    patient, monitor = monitored_patient()
    readings = [ParsedReading(monitor.id, patient.id, 70, timezone.now() - timedelta(seconds=i)) for i in range(3)]
    api_before, hl7_before = (READINGS_INGESTED.labels(source=s)._value.get() for s in ("api", "hl7"))
    with django_capture_on_commit_callbacks(execute=True):
        readings_ingest(Batch(readings, 3), source="hl7")
    assert value(scrape(), "meditrack_readings_ingested_total", source="hl7") == hl7_before + 3
    assert READINGS_INGESTED.labels(source="api")._value.get() == api_before


def test_a_rolled_back_ingest_counts_nothing(client_for):
    before = READINGS_INGESTED.labels(source="api")._value.get()
    department = DepartmentFactory()
    _patient, monitor = monitored_patient(department=department)
    nurse = client_for(UserFactory(role=Role.NURSE, department=department))
    body = {"device": monitor.id, "bpm": 80, "recorded_at": timezone.now().isoformat()}
    assert nurse.post("/api/records/", body, format="json").status_code == 201
    # The test's transaction never commits (no on-commit callbacks run): not counted.
    assert READINGS_INGESTED.labels(source="api")._value.get() == before


def test_job_runs_count_by_outcome():
    before_ok = value(scrape(), "meditrack_job_runs_total", job="flush_expired_tokens", outcome="ok")
    call_command("flush_expired_tokens", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert value(scrape(), "meditrack_job_runs_total", job="flush_expired_tokens", outcome="ok") == before_ok + 1

    def broken():
        raise RuntimeError("boom")

    failed_before = JOB_RUNS.labels(job="sample-broken", outcome="failed")._value.get()
    with pytest.raises(RuntimeError):
        run_job("sample-broken", broken)
    assert value(scrape(), "meditrack_job_runs_total", job="sample-broken", outcome="failed") == failed_before + 1
    assert value(scrape(), "meditrack_job_runs_total", job="sample-broken", outcome="ok") == 0


def test_open_alerts_gauge_counts_live_alerts_by_severity_kind_and_status():
    AlertFactory.create_batch(2, severity=AlertSeverity.CRITICAL, kind=AlertKind.TACHYCARDIA)
    AlertFactory(severity=AlertSeverity.WARNING, kind=AlertKind.BRADYCARDIA, status=AlertStatus.ACKNOWLEDGED)
    AlertFactory(severity=AlertSeverity.CRITICAL, kind=AlertKind.TACHYCARDIA, status=AlertStatus.RESOLVED)
    found = samples(scrape())
    gauge = {labels: n for (name, labels), n in found.items() if name == "meditrack_open_alerts"}
    # Every combination, resolved ones never: 2 severities x 3 kinds x (open, acknowledged).
    assert len(gauge) == len(AlertSeverity) * len(AlertKind) * 2
    key = lambda severity, kind, status: (("kind", kind), ("severity", severity), ("status", status))  # noqa: E731
    assert gauge[key("critical", "tachycardia", "open")] == 2
    assert gauge[key("warning", "bradycardia", "acknowledged")] == 1
    assert sum(gauge.values()) == 3
    assert found[("meditrack_open_alerts_up", ())] == 1


def test_open_alerts_are_one_query(django_assert_num_queries):
    AlertFactory.create_batch(3)
    with django_assert_num_queries(1):
        list(OpenAlertsCollector().collect())


def test_requests_are_counted_by_view_and_status():
    before = value(scrape(), "django_http_responses_total_by_status_view_method_total",
                   method="GET", status="200", view="health")
    Client().get("/api/health/")
    assert value(scrape(), "django_http_responses_total_by_status_view_method_total",
                 method="GET", status="200", view="health") == before + 1


# --- several processes ------------------------------------------------------------------------------

def run_python(code, env):
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_with_a_multiprocess_folder_metrics_sum_every_process(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from core.metrics import JOB_RUNS\nJOB_RUNS.labels(job='multi', outcome='ok').inc()"
    for _ in range(3):  # three processes (workers, the jobs worker), each gone before the scrape
        run_python(count, env)
    shown = run_python("from prometheus_client import generate_latest\nfrom core.metrics import counters_registry\n"
                       "print(generate_latest(counters_registry()).decode())", env)
    assert 'meditrack_job_runs_total{job="multi",outcome="ok"} 3.0' in shown


def test_make_run_gives_both_children_one_emptied_metrics_folder(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"stale")
    env = devserver.metrics_environment({"PATH": "/bin"}, folder)
    assert env == {"PATH": "/bin", "PROMETHEUS_MULTIPROC_DIR": str(folder)} and not list(folder.iterdir())
    chosen = tmp_path / "chosen"
    assert devserver.metrics_environment({"PROMETHEUS_MULTIPROC_DIR": str(chosen)}, folder) == {
        "PROMETHEUS_MULTIPROC_DIR": str(chosen)} and chosen.is_dir()


def test_gunicorn_empties_the_folder_at_start_and_drops_an_exited_workers_live_gauges(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "counter_1.db").write_bytes(b"earlier run")
    conf.on_starting(server=None)
    assert not list(tmp_path.iterdir())
    (tmp_path / "gauge_livesum_42.db").write_bytes(b"")
    (tmp_path / "counter_42.db").write_bytes(b"")
    conf.child_exit(server=None, worker=SimpleNamespace(pid=42))
    assert [path.name for path in tmp_path.iterdir()] == ["counter_42.db"]  # counts stay in the sums
