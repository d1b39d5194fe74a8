"""Break-glass: a doctor's or nurse's emergency read access to one patient outside their care.

A grant is made with a reason, lasts BREAK_GLASS_MINUTES and is never extended (posting again makes
a new grant); an admin may revoke one. Each grant tells the patient's doctors and every active admin
at once, with ids and the record number only: the reason stays in the grant (and its audit entry
masks it)."""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from rest_framework.exceptions import ValidationError

from accounts.choices import Role
from accounts.models import User
from clinical import errors
from clinical.models import BreakGlassGrant, Patient
from core.errors import Conflict
from core.serializers import display_name
from notifications.services import notify

MIN_REASON_LENGTH = 10
NOTIFICATION_KIND = "break_glass"


@transaction.atomic
def break_glass_grant(*, user, patient, reason):
    """Give `user` read access to `patient` for BREAK_GLASS_MINUTES and announce it. A reason of
    fewer than 10 characters (once stripped) is a 400 naming `reason`; a patient already in the
    user's care needs no grant (409 already_in_care)."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        message = _("Give the reason for emergency access in at least %(count)s characters.")
        raise ValidationError({"reason": [message % {"count": MIN_REASON_LENGTH}]})
    if Patient.objects.in_care_of(user).filter(pk=patient.pk).exists():
        raise Conflict(_("This patient is already in your care: open the record without emergency access."),
                       code=errors.ALREADY_IN_CARE)
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(user=user, patient=patient, reason=reason, created_at=now,
                                           expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES))
    _announce(grant)
    return grant


@transaction.atomic
def break_glass_revoke(*, grant, by):
    """End a live grant now (admins). One already revoked or expired is a 409 grant_not_live, unchanged."""
    grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
    if not grant.is_live:
        state = pgettext("grant", "revoked") if grant.revoked_at is not None else pgettext("grant", "expired")
        raise Conflict(_("This grant is already %(state)s.") % {"state": state}, code=errors.GRANT_NOT_LIVE)
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    return grant


def break_glass_recipients(patient, holder):
    """The patient's doctors (mapped to them or with an appointment with them) and every active admin."""
    doctors = User.objects.filter(role=Role.DOCTOR, doctor_profile__patient_mappings__patient=patient)
    booked = User.objects.filter(role=Role.DOCTOR, doctor_profile__appointments__patient=patient)
    admins = User.objects.filter(role=Role.ADMIN)
    return (doctors | booked | admins).filter(is_active=True).exclude(pk=holder.pk).distinct().order_by("pk")


def _announce(grant):
    patient, user = grant.patient, grant.user
    mrn = patient.medical_record_number
    expires = timezone.localtime(grant.expires_at)
    notify(
        users=break_glass_recipients(patient, user),
        kind=NOTIFICATION_KIND,
        title=f"Emergency access to patient {mrn}",
        body=(f"{display_name(user)} ({user.role}) opened emergency (break-glass) read access to patient {mrn} "
              f"until {expires:%Y-%m-%d %H:%M %Z} (grant #{grant.pk})."),
        data={"grant": grant.pk, "patient": patient.pk, "medical_record_number": mrn, "user": user.pk,
              "role": user.role, "expires_at": grant.expires_at.isoformat()},
    )
