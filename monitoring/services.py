"""Writes with rules: storing a batch of readings (idempotent) with its rollup and alerts, alert
decisions (acknowledge, resolve), device API keys.

The ingest's SQL lives in monitoring/ingest_store.py (staging, insert, suspect flag, rollup) and
the alert rules' application in monitoring/alerting.py (windows, rules, alert writes, events);
readings_ingest runs both in one transaction. Names callers import from here are re-exported."""

from dataclasses import dataclass
from functools import partial

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import Conflict, DomainError
from core.metrics import READINGS_INGESTED
from devices.choices import DeviceCategory
from monitoring import alerting, errors, ingest_store
from monitoring.alerting import (
    AUTO_RESOLVED_MARK,
    SUSPECT_NOTE,
    WITHDRAWN_MARK,
    WITHDRAWN_NOTE,
    alert_event_data,
    auto_resolved_note,
    breach_of,
    publish_alert,
    rule_config,
)
from monitoring.choices import ALERT_TRANSITIONS, AlertStatus
from monitoring.models import Alert, DeviceApiKey

__all__ = [
    "ALERT_RULES_ENABLED",
    "AUTO_RESOLVED_MARK",
    "SUSPECT_NOTE",
    "WITHDRAWN_MARK",
    "WITHDRAWN_NOTE",
    "IngestResult",
    "alert_acknowledge",
    "alert_event_data",
    "alert_resolve",
    "api_key_issue",
    "api_keys_revoke",
    "auto_resolved_note",
    "breach_of",
    "publish_alert",
    "readings_ingest",
    "rule_config",
]

# The alert rules always run at ingest; only bench/ingest.py turns this off, to measure their cost.
ALERT_RULES_ENABLED = True
# Batches of at most this many readings take the one-statement path (no temporary tables); larger
# ones are staged with COPY. bench/ingest.py measures both per batch size: the one statement is
# 1.5-1.7x faster up to 50 readings and level with COPY at 100 (README, "Performance").
SMALL_BATCH_MAX = 64


@dataclass(frozen=True)
class IngestResult:
    received: int
    created: int
    duplicates: int


def readings_ingest(batch, *, source="api"):
    """Store a validated batch once: new readings, their rollup and their alerts, in one transaction.
    A fixed number of statements whatever the batch size (see docs/monitoring.md): one INSERT (with
    the rollup) for a small batch, the temporary-table path for a large one; the same outcome."""
    with transaction.atomic(), connection.cursor() as cursor:
        if len(batch.readings) <= SMALL_BATCH_MAX:
            new = ingest_store.store_small(cursor, batch.readings)
            created = len(new)
            if created and ALERT_RULES_ENABLED:
                alerting.apply_alert_rules(cursor, new)
        else:
            created = ingest_store.store_new(cursor, batch.readings)
            if created:
                ingest_store.update_rollup(cursor)
                if ALERT_RULES_ENABLED:
                    alerting.apply_alert_rules(cursor)
            ingest_store.drop_temp_tables(cursor)
    transaction.on_commit(partial(READINGS_INGESTED.labels(source=source).inc, created))  # /metrics, by door
    return IngestResult(batch.received, created, batch.received - created)


# --- alert decisions ---------------------------------------------------------------------------

_REFUSED = {"acknowledge": gettext_lazy("This alert is %(status)s; it cannot be acknowledged."),
            "resolve": gettext_lazy("This alert is %(status)s; it cannot be resolved.")}


def _alert_transition(alert, action):
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status not in ALERT_TRANSITIONS[action]:
        raise Conflict(_REFUSED[action] % {"status": alert.status}, code=errors.INVALID_TRANSITION)
    return alert


@transaction.atomic
def alert_acknowledge(*, alert, by):
    alert = _alert_transition(alert, "acknowledge")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, by, timezone.now()
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    publish_alert("alert.updated", alert)
    return alert


@transaction.atomic
def alert_resolve(*, alert, by, note=""):
    alert = _alert_transition(alert, "resolve")
    alert.status, alert.resolved_by, alert.resolved_at = AlertStatus.RESOLVED, by, timezone.now()
    alert.note = note or alert.note
    alert.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
    publish_alert("alert.resolved", alert)
    return alert


# --- device API keys ---------------------------------------------------------------------------

def api_key_issue(*, device, by, name=""):
    """A new ingest key for a monitor; the raw key is returned once and only its hash is kept."""
    if device.category != DeviceCategory.MONITOR:
        raise DomainError(_("Device %(device)s is not a monitor: only monitors post readings.") % {
            "device": device.asset_number}, code=errors.NOT_A_MONITOR,
            errors={"device": [_("Only monitors get ingest keys.")]})
    raw, prefix, key_hash = DeviceApiKey.generate()
    key = DeviceApiKey.objects.create(device=device, name=name, prefix=prefix, key_hash=key_hash, created_by=by)
    return key, raw


def api_keys_revoke(*, keys):
    """Revoke keys (idempotent: an already revoked key keeps its first revocation time)."""
    return keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
