"""The clinical periodic jobs (core.jobs shape: one bounded, idempotent pass -> a report dict):
appointment reminders 24 hours before the slot, and no-shows for slots that ended unattended.
Tasks in clinical/tasks.py, commands in clinical/management/commands/; docs/jobs-appointments.md."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.tasks import send_email
from audit.changes import Change, record_bulk
from audit.choices import AuditAction
from clinical.choices import UPCOMING_STATUSES
from clinical.models import Appointment
from clinical.services.scheduling import appointment_no_show
from core.errors import Conflict
from core.sms import normalise_phone
from notifications.services import notify

logger = logging.getLogger("meditrack.jobs")

REMINDER_KIND = "appointment.reminder"


def _setting(name, default):
    return getattr(settings, name, default)


def _at_or_after(moment, date_field, time_field):
    """The (date, time) columns, read as a local wall-clock moment, are at or after `moment`."""
    local = timezone.localtime(moment)
    return (Q(**{f"{date_field}__gt": local.date()})
            | Q(**{date_field: local.date(), f"{time_field}__gte": local.time()}))


def _before(moment, date_field, time_field):
    """The (date, time) columns, read as a local wall-clock moment, are strictly before `moment`."""
    local = timezone.localtime(moment)
    return (Q(**{f"{date_field}__lt": local.date()})
            | Q(**{date_field: local.date(), f"{time_field}__lt": local.time()}))


# --- Reminders ---------------------------------------------------------------------------------

def reminder_candidates(now, *, hours=None):
    """Live, not yet started appointments (scheduled or confirmed) whose slot starts in [now, now + 24 h]
    and that have not been reminded for this start: `reminded_for` is null or another moment (the
    appointment moved). Compared in SQL as the reminded moment's local date and time against the
    slot's columns, so the bound per pass never fills up with ones already reminded."""
    hours = hours if hours is not None else _setting("APPOINTMENT_REMINDER_HOURS", 24)
    window = _at_or_after(now, "slot__date", "slot__start_time") & ~_at_or_after(
        now + timedelta(hours=hours) + timedelta(microseconds=1), "slot__date", "slot__start_time")
    reminded_for_this_start = Q(reminded_for__date=F("slot__date"), reminded_for__time=F("slot__start_time"))
    return (Appointment.objects.filter(status__in=UPCOMING_STATUSES).filter(window)
            .exclude(reminded_for_this_start)
            .select_related("slot", "patient__user", "doctor__user__department")
            .order_by("slot__date", "slot__start_time", "id"))


def reminder_text(appointment):
    """(title, body, sms) of a reminder: when, with whom, where. No reason, notes or anything else
    clinical: these go by email and SMS."""
    starts = timezone.localtime(appointment.slot.starts_at)
    doctor_user = appointment.doctor.user
    doctor = f"Dr {doctor_user.get_full_name() or doctor_user.username}"
    department = doctor_user.department.name if doctor_user.department_id else ""
    with_whom = f"{doctor} ({department})" if department else doctor
    when = f"{starts:%A %d %B %Y} at {starts:%H:%M}"
    title = f"Appointment reminder: {starts:%Y-%m-%d %H:%M} with {doctor}"
    body = (f"Dear {appointment.patient.first_name} {appointment.patient.last_name},\n\n"
            f"This is a reminder of your appointment on {when} with {with_whom}.\n"
            "If you cannot come, please cancel or reschedule it in MediTrack.\n")
    sms = f"MediTrack reminder: your appointment with {with_whom} is on {starts:%Y-%m-%d} at {starts:%H:%M}."
    return title, body, sms


def _remind(appointment, report):
    """Claim the reminder for this start (a conditional UPDATE: of two passes at once, one updates
    the row and the other, waiting on its lock, then finds it reminded and updates nothing) and send
    it, in one transaction: the email and SMS go after commit."""
    from clinical.tasks import send_sms_task  # tasks imports this module

    starts_at = appointment.slot.starts_at
    with transaction.atomic():
        claimed = (Appointment.objects.filter(pk=appointment.pk, slot_id=appointment.slot_id,
                                              status__in=UPCOMING_STATUSES)
                   .exclude(reminded_for=starts_at).update(reminded_for=starts_at))
        if not claimed:
            report["already_reminded"] += 1
            return
        record_bulk(Appointment, AuditAction.UPDATE, [Change(
            appointment.pk, {"reminded_for": (appointment.reminded_for, starts_at)}, appointment.patient_id)])
        report["reminded"] += 1
        title, body, sms = reminder_text(appointment)
        data = {"appointment": appointment.pk, "starts_at": starts_at.isoformat(), "doctor": appointment.doctor_id,
                "status": appointment.status}
        patient, user = appointment.patient, appointment.patient.user
        has_login = user is not None and user.is_active
        sent_email = False
        if has_login:
            # notify: the in-app row, and the email to the login's address after commit.
            notify(users=[user], kind=REMINDER_KIND, title=title, body=body, data=data, email=bool(user.email))
            report["in_app"] += 1
            sent_email = bool(user.email)
        if not sent_email and patient.email:
            # No login (or one without an address): the record's address, by email only.
            transaction.on_commit(lambda: send_email.delay(title, body, [patient.email]), robust=True)
            sent_email = True
        report["emails"] += sent_email
        try:
            phone = normalise_phone(patient.phone)
        except ValueError:
            phone = ""
            report["invalid_phone"] += 1
        if phone:
            transaction.on_commit(lambda: send_sms_task.delay(phone, sms), robust=True)
            report["sms"] += 1
        if not (has_login or sent_email or phone):
            report["no_contact"] += 1


def send_appointment_reminders(*, now=None, limit=None):
    """One pass: each appointment starting within the next 24 hours (APPOINTMENT_REMINDER_HOURS) gets
    one reminder for its start time: in-app and by email to the patient's login, by email to the
    record's address when there is no login, and by SMS to the record's phone when it has one.
    Bounded by `limit` (APPOINTMENT_REMINDERS_MAX_PER_RUN, 500): the rest wait for the next pass,
    soonest first. Report: candidates, reminded, already_reminded (another pass won), in_app, emails,
    sms, invalid_phone (not E.164: no SMS), no_contact (nothing to send to; marked reminded anyway)."""
    now = now or timezone.now()
    limit = limit or _setting("APPOINTMENT_REMINDERS_MAX_PER_RUN", 500)
    report = dict.fromkeys(["candidates", "reminded", "already_reminded", "in_app", "emails", "sms",
                            "invalid_phone", "no_contact"], 0)
    candidates = list(reminder_candidates(now)[:limit])
    report["candidates"] = len(candidates)
    for appointment in candidates:
        _remind(appointment, report)
    return report


# --- No-shows ----------------------------------------------------------------------------------

def no_show_candidates(now, *, grace_minutes=None):
    """Scheduled or confirmed (never started) appointments whose slot ended more than 30 minutes
    (NO_SHOW_GRACE_MINUTES) before `now`."""
    grace = grace_minutes if grace_minutes is not None else _setting("NO_SHOW_GRACE_MINUTES", 30)
    return (Appointment.objects.filter(status__in=UPCOMING_STATUSES)
            .filter(_before(now - timedelta(minutes=grace), "slot__date", "slot__end_time"))
            .select_related("slot")
            .order_by("slot__date", "slot__end_time", "id"))


def mark_no_shows(*, now=None, limit=None):
    """One pass: each appointment that was never started (scheduled or confirmed) and whose slot ended
    more than 30 minutes ago becomes `no_show` through the one no-show service
    (services.appointment_no_show, by the system: `by=None`), with a history entry saying why.
    Idempotent: the service locks the row and checks the status machine, so an appointment started,
    cancelled or already marked meanwhile is skipped (counted). Bounded by `limit`
    (NO_SHOW_MAX_PER_RUN, 1000), oldest first."""
    now = now or timezone.now()
    limit = limit or _setting("NO_SHOW_MAX_PER_RUN", 1000)
    candidates = list(no_show_candidates(now)[:limit])
    report = {"candidates": len(candidates), "marked": 0, "skipped": 0}
    for appointment in candidates:
        ended = timezone.localtime(
            timezone.make_aware(datetime.combine(appointment.slot.date, appointment.slot.end_time)))
        note = (f"Marked no-show automatically: the slot ended at {ended:%Y-%m-%d %H:%M} and the visit "
                "was never started.")
        try:
            appointment_no_show(appointment=appointment, by=None, note=note)
        except Conflict:  # started, cancelled or marked by someone else since it was read
            report["skipped"] += 1
        else:
            report["marked"] += 1
    return report
