import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.choices import Role
from clinical.models import Patient
from monitoring.choices import LIVE_ALERT_STATUSES, AlertKind, AlertSeverity, AlertStatus

API_KEY_PREFIX_LENGTH = 8


def hash_api_key(raw_key):
    # Keys are 256-bit random strings, so a plain SHA-256 is enough (no salt or slow hash needed).
    return hashlib.sha256(raw_key.encode()).hexdigest()


class DeviceApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class DeviceApiKey(models.Model):
    """An ingest credential for one bedside device. Only its hash and a display prefix are stored."""

    device = models.ForeignKey("devices.Device", on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=120, blank=True)
    prefix = models.CharField(max_length=API_KEY_PREFIX_LENGTH)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = DeviceApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.prefix}… ({self.device_id})"

    @staticmethod
    def generate():
        """(raw key, prefix, hash): the raw key is shown once and never stored."""
        raw = secrets.token_urlsafe(32)
        return raw, raw[:API_KEY_PREFIX_LENGTH], hash_api_key(raw)


class ReadingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(patient__in=Patient.objects.visible_to(user).values("pk"))


class Reading(models.Model):
    """One heart-rate sample. Unique per (device, recorded_at): retried uploads store nothing twice.

    On PostgreSQL the table is range-partitioned by month on recorded_at (see migration 0001 and
    `manage.py create_reading_partitions`); its primary key there is (id, recorded_at).
    """

    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="readings")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="readings")
    bpm = models.PositiveSmallIntegerField()
    recorded_at = models.DateTimeField()
    # Stored from a monitor with an open corrective work order, not `active`, or overdue for calibration.
    # db_default: the ingest's set-based INSERTs name their columns; the database fills the rest.
    device_suspect = models.BooleanField(db_default=False)

    objects = ReadingQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "recorded_at"], name="monitoring_reading_device_instant"),
        ]
        indexes = [models.Index(fields=["patient", "recorded_at"], name="reading_patient_time_idx")]

    def __str__(self):
        return f"{self.bpm} bpm at {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class MinuteRollup(models.Model):
    """Per-patient, per-minute aggregates maintained at ingest, so long windows never scan raw rows."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField()
    bpm_sum = models.PositiveBigIntegerField()
    bpm_min = models.PositiveSmallIntegerField()
    bpm_max = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["patient", "minute"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "minute"], name="monitoring_rollup_patient_minute"),
        ]

    def __str__(self):
        return f"{self.patient_id} {self.minute:%Y-%m-%d %H:%M} n={self.count}"


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user):
        if getattr(user, "role", None) == Role.ADMIN:
            return self.all()
        return self.filter(patient__in=Patient.objects.visible_to(user).values("pk"))

    def editable_by(self, user):
        """Who acknowledges and resolves: as visible_to, among the patients in the caller's care
        (a break-glass grant reads alerts, never acts on them)."""
        if getattr(user, "role", None) == Role.ADMIN:
            return self.all()
        return self.filter(patient__in=Patient.objects.in_care_of(user).values("pk"))


class Alert(models.Model):
    """A heart-rate threshold breach. Later breaches of the same kind update the live alert."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    device = models.ForeignKey("devices.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    severity = models.CharField(max_length=16, choices=AlertSeverity.choices)
    status = models.CharField(max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    # Heart-rate values of the breach; null for a technical (device_offline) alert.
    first_value = models.PositiveSmallIntegerField(null=True, blank=True)
    last_value = models.PositiveSmallIntegerField(null=True, blank=True)
    peak_value = models.PositiveSmallIntegerField(null=True, blank=True)
    breach_count = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField()
    last_breach_at = models.DateTimeField()
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    # Opened from readings of a suspect monitor (see Reading.device_suspect).
    device_suspect = models.BooleanField(db_default=False)
    # Raised by the escalation job while open and unacknowledged: 0 (not escalated) .. MAX_ESCALATION_LEVEL.
    escalation_level = models.PositiveSmallIntegerField(db_default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A device_offline alert's corrective work order (opened and closed with it).
    work_order = models.ForeignKey("workorders.WorkOrder", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-last_breach_at", "-id"]
        # The list's default ordering, alone (admin), from the caller's patients (their scope is
        # `patient_id IN (...)`) and under the common `?status=` filter (issue 15: no scan and sort).
        indexes = [
            models.Index(fields=["-last_breach_at", "-id"], name="alert_breach_idx"),
            models.Index(fields=["patient", "-last_breach_at", "-id"], name="alert_patient_breach_idx"),
            models.Index(fields=["status", "-last_breach_at", "-id"], name="alert_status_breach_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind"], condition=Q(status__in=LIVE_ALERT_STATUSES),
                name="monitoring_alert_one_live_per_patient_kind",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.severity} for {self.patient_id} ({self.status})"
