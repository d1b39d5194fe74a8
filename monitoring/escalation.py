"""Alert escalation: an alert nobody acknowledges is told to more people, again and again.

An OPEN alert (not acknowledged, not resolved) whose escalation time (monitoring.choices
`ESCALATION_MINUTES`: critical 5, warning 15; a device_offline alert by its own severity) has run
out since it opened (level 0) or since its last escalation (level 1 and up) rises one level, up to
`MAX_ESCALATION_LEVEL` (3), and `escalated_at` becomes now. Each escalation notifies (in-app and
email, notifications.notify) the patient's doctors (PatientDoctorMapping, practising doctors only)
and the nurses of the patient's department; an alert that would reach nobody (no mapped doctor, no
department or no nurse in it) goes to the active admins instead, so an escalation is never silent.
An `alert.escalated` event goes out for each (after commit).

One pass is idempotent and bounded: the due alerts are selected (oldest first, at most
`ALERT_ESCALATION_MAX_PER_RUN`, 1000) and locked in one statement (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, so a second pass running at the same time skips them; SQLite's write lock taken at
BEGIN serialises passes), their levels rise in one UPDATE, and the new `escalated_at` moves the
next deadline a full escalation time away: a second pass in the same minute finds nothing due.
Statements per pass: select + update + one INSERT of their audit entries + re-read + 2 recipient
queries (+1 for the admin fallback), then one INSERT per escalated alert (its notifications, bulk-created).
"""

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from audit.changes import Change, record_bulk
from audit.choices import AuditAction
from clinical.models import DoctorProfile, PatientDoctorMapping
from core.events import publish
from monitoring.choices import ESCALATION_MINUTES, MAX_ESCALATION_LEVEL, AlertStatus
from monitoring.models import Alert
from notifications.services import notify

DEFAULT_MAX_PER_RUN = 1000
NOTIFICATION_KIND = "alert.escalated"


def due_alerts(now):
    """Open alerts below the top level whose escalation time has run out at `now`."""
    overdue = Q()
    for severity, minutes in ESCALATION_MINUTES.items():
        overdue |= Q(severity=severity, since__lte=now - timedelta(minutes=minutes))
    return (Alert.objects.alias(since=Coalesce("escalated_at", "opened_at"))
            .filter(overdue, status=AlertStatus.OPEN, escalation_level__lt=MAX_ESCALATION_LEVEL))


def escalate_alerts(*, now=None, limit=None):
    """One pass of the escalation job (see the module docstring). Returns the report:
    `{"escalated": n, "levels": {"1": n1, ...}, "notifications": n, "more_due": bool}`."""
    now = now or timezone.now()
    limit = limit or getattr(settings, "ALERT_ESCALATION_MAX_PER_RUN", DEFAULT_MAX_PER_RUN)
    with transaction.atomic():
        due = list(due_alerts(now).select_for_update(skip_locked=True).order_by("opened_at", "pk")
                   .values_list("pk", "patient_id", "escalation_level", "escalated_at")[:limit])
        if not due:
            return {"escalated": 0, "levels": {}, "notifications": 0, "more_due": False}
        ids = [pk for pk, *_rest in due]
        Alert.objects.filter(pk__in=ids).update(escalation_level=F("escalation_level") + 1, escalated_at=now)
        record_bulk(Alert, AuditAction.UPDATE, [
            Change(pk, {"escalation_level": (level, level + 1), "escalated_at": (escalated_at, now)}, patient_id)
            for pk, patient_id, level, escalated_at in due])
        alerts = list(Alert.objects.filter(pk__in=ids).select_related("patient").order_by("opened_at", "pk"))
        recipients = _recipients(alerts)
        levels, notified = defaultdict(int), 0
        for alert in alerts:
            levels[str(alert.escalation_level)] += 1
            notified += len(_announce(alert, recipients[alert.pk]))
    return {"escalated": len(alerts), "levels": dict(sorted(levels.items())), "notifications": notified,
            "more_due": len(ids) == limit}


def _recipients(alerts):
    """{alert id: [users]}: the patient's practising doctors and the nurses of the patient's
    department (active ones; notify drops the rest); the active admins for an alert with nobody."""
    patient_ids = {alert.patient_id for alert in alerts}
    department_ids = {alert.patient.department_id for alert in alerts} - {None}
    doctors = defaultdict(list)
    mappings = (PatientDoctorMapping.objects.filter(patient_id__in=patient_ids,
                                                    doctor__in=DoctorProfile.objects.practising())
                .select_related("doctor__user"))
    for mapping in mappings:
        doctors[mapping.patient_id].append(mapping.doctor.user)
    nurses = defaultdict(list)
    for nurse in User.objects.filter(role=Role.NURSE, is_active=True, department_id__in=department_ids):
        nurses[nurse.department_id].append(nurse)
    found = {alert.pk: [*doctors[alert.patient_id], *nurses[alert.patient.department_id]] for alert in alerts}
    if not all(found.values()):
        admins = list(User.objects.filter(role=Role.ADMIN, is_active=True))
        found = {pk: users or admins for pk, users in found.items()}
    return found


def _announce(alert, users):
    patient = alert.patient
    kind = alert.kind.replace("_", " ")
    mrn = patient.medical_record_number
    title = f"Alert escalated to level {alert.escalation_level}: {kind}, patient {mrn}"
    body = (f"{alert.get_severity_display()} {kind} alert for patient {mrn} ({patient.first_name} "
            f"{patient.last_name}) is open since {alert.opened_at:%Y-%m-%d %H:%M} UTC and not acknowledged. "
            f"Escalation level {alert.escalation_level} of {MAX_ESCALATION_LEVEL}.")
    data = {"alert": alert.pk, "patient": alert.patient_id, "kind": alert.kind, "severity": alert.severity,
            "escalation_level": alert.escalation_level}
    notifications = notify(users=users, kind=NOTIFICATION_KIND, title=title, body=body, data=data)
    publish("alert.escalated", {"id": alert.pk, "patient": alert.patient_id, "kind": alert.kind,
                                "severity": alert.severity, "status": alert.status,
                                "escalation_level": alert.escalation_level,
                                "escalated_at": alert.escalated_at.isoformat()}, instance=alert)
    return notifications
