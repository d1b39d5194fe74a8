"""Large reads: appointment lists for a day or ahead, and statistics computed in the database."""

from django.db.models import Count, F
from django.utils import timezone

from clinical.choices import UPCOMING_STATUSES, AppointmentStatus
from clinical.models import not_started_q


def appointments_today(queryset):
    return queryset.filter(slot__date=timezone.localdate())


def appointments_upcoming(queryset):
    """Scheduled or confirmed appointments whose slot has not started yet, soonest first."""
    return queryset.filter(not_started_q("slot__"), status__in=UPCOMING_STATUSES).order_by(
        "slot__date", "slot__start_time", "id")


def appointment_statistics(queryset, *, date_from, date_to):
    """Counts by status, by doctor and by day over [date_from, date_to] (slot dates), three
    GROUP BY queries whatever the range."""
    rows = queryset.filter(slot__date__gte=date_from, slot__date__lte=date_to).order_by()
    by_status = {status.value: 0 for status in AppointmentStatus}
    by_status.update(dict(rows.values_list("status").annotate(n=Count("id"))))
    by_doctor = (
        rows.values("doctor")
        .annotate(first_name=F("doctor__user__first_name"), last_name=F("doctor__user__last_name"),
                  count=Count("id"))
        .order_by("-count", "doctor")
    )
    by_day = rows.values(date=F("slot__date")).annotate(count=Count("id")).order_by("date")
    return {
        "date_from": date_from,
        "date_to": date_to,
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_doctor": [
            {"doctor": row["doctor"], "doctor_name": f"{row['first_name']} {row['last_name']}".strip(),
             "count": row["count"]}
            for row in by_doctor
        ],
        "by_day": list(by_day),
    }


