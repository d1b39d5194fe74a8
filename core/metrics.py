"""The service's own Prometheus metrics, beside django-prometheus' request metrics. Each counter is
incremented where the thing happens; /metrics (core/metrics_view.py) exposes them all."""

from prometheus_client import Counter

READINGS_INGESTED = Counter("meditrack_readings_ingested_total", "Heart-rate readings stored", ["source"])
JOB_RUNS = Counter("meditrack_job_runs_total", "Periodic job runs", ["job", "outcome"])
HL7_MESSAGES = Counter("meditrack_hl7_messages_total", "HL7 v2 messages answered, by ACK code", ["ack"])
WEBHOOK_DELIVERIES = Counter("meditrack_webhook_deliveries_total", "Webhook delivery attempts", ["outcome"])
