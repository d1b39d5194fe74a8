"""The service's own Prometheus metrics, beside django-prometheus' request metrics. Each counter is
incremented where the thing happens; /metrics (core/metrics_view.py) exposes them all.

Counters live in the process that increments them. With PROMETHEUS_MULTIPROC_DIR set (gunicorn's
workers, `make run`'s server and jobs worker) prometheus_client writes every process' values to files
in that folder and /metrics sums them (`scrape_registry`); without it, /metrics shows its own process'.

Open alerts are no counter: `OpenAlertsCollector` counts them in the database at each scrape (one
GROUP BY query; severity x kind x status is a fixed, small set of series)."""

import logging
import os

from django.apps import apps
from django.db import DatabaseError
from django.db.models import Count
from prometheus_client import REGISTRY, CollectorRegistry, Counter, multiprocess
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

READINGS_INGESTED = Counter("meditrack_readings_ingested_total", "Heart-rate readings stored", ["source"])
JOB_RUNS = Counter("meditrack_job_runs_total", "Periodic job runs", ["job", "outcome"])
HL7_MESSAGES = Counter("meditrack_hl7_messages_total", "HL7 v2 messages answered, by ACK code", ["ack"])
WEBHOOK_DELIVERIES = Counter("meditrack_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])

# Alerts that are not resolved (monitoring.choices.LIVE_ALERT_STATUSES; read as strings: core
# imports no domain app).
LIVE_STATUSES = ("open", "acknowledged")


class OpenAlertsCollector:
    """meditrack_open_alerts{severity, kind, status}: alerts not yet resolved, counted at scrape
    time; every combination is present (0 when none), so a series never vanishes. When the database
    cannot answer, meditrack_open_alerts_up is 0 and the counts are left out (the rest of /metrics
    still answers)."""

    def describe(self):
        return [GaugeMetricFamily("meditrack_open_alerts", ""), GaugeMetricFamily("meditrack_open_alerts_up", "")]

    def collect(self):
        alert = apps.get_model("monitoring", "Alert")
        gauge = GaugeMetricFamily("meditrack_open_alerts", "Alerts not resolved, by severity, kind and status",
                                  labels=["severity", "kind", "status"])
        up = GaugeMetricFamily("meditrack_open_alerts_up", "1 when meditrack_open_alerts could be counted")
        try:
            rows = (alert.objects.filter(status__in=LIVE_STATUSES).order_by()
                    .values_list("severity", "kind", "status").annotate(n=Count("id")))
            counts = {(severity, kind, status): n for severity, kind, status, n in rows}
        except DatabaseError as exc:
            logger.warning("open alerts not counted for /metrics: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        for severity, _ in alert._meta.get_field("severity").choices:
            for kind, _ in alert._meta.get_field("kind").choices:
                for status in LIVE_STATUSES:
                    gauge.add_metric([severity, kind, status], counts.get((severity, kind, status), 0))
        up.add_metric([], 1)
        yield gauge
        yield up


OPEN_ALERTS = OpenAlertsCollector()


class _Scrape:
    """What one /metrics answer shows: the counters (this process', or every process' from the
    multiprocess folder) and the open alerts."""

    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


def multiprocess_dir():
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def counters_registry():
    """This process' metrics, or with PROMETHEUS_MULTIPROC_DIR every process' summed from the folder."""
    if not multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def scrape_registry():
    return _Scrape(counters_registry(), OPEN_ALERTS)
