from django.db import models


class AlertKind(models.TextChoices):
    TACHYCARDIA = "tachycardia", "Tachycardia (above hr_high)"
    BRADYCARDIA = "bradycardia", "Bradycardia (below hr_low)"
    # A technical alert: the patient's assigned monitor has sent nothing for MONITOR_STALE_SECONDS.
    DEVICE_OFFLINE = "device_offline", "Monitor offline (no data)"


class AlertSeverity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


# An alert that is not resolved is "live": at most one per patient and kind (a database constraint).
LIVE_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)

ALERT_TRANSITIONS = {
    "acknowledge": {AlertStatus.OPEN},
    "resolve": {AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED},
}

# A breach is critical beyond a wider band: above hr_high * 1.25 or below hr_low * 0.8
# (with the default thresholds 50/120: critical below 40 or above 150 bpm).
CRITICAL_HIGH_FACTOR = 1.25
CRITICAL_LOW_FACTOR = 0.8

# Escalation: an open alert unacknowledged this long rises one level (again after the same time), up to MAX.
ESCALATION_MINUTES = {AlertSeverity.CRITICAL: 5, AlertSeverity.WARNING: 15}
MAX_ESCALATION_LEVEL = 3

BPM_MIN, BPM_MAX = 20, 300
MAX_BATCH = 5000
FUTURE_SKEW_SECONDS = 5

# History buckets: query parameter -> seconds.
BUCKETS = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600}
