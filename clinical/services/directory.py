"""Who acts for which doctor, and which doctors may hold slots, appointments and patients."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from accounts.choices import Role

NOT_PRACTISING = gettext_lazy("This doctor is not approved and active: approve the sign-up (or reactivate the "
                              "account) first.")


def acting_doctor(*, by, requested):
    """The doctor a slot or mapping is for: a doctor acts for themself (and may omit `doctor`); an
    admin must name one."""
    if by.role == Role.DOCTOR:
        own = getattr(by, "doctor_profile", None)
        if own is None:
            raise ValidationError({"doctor": [_("Your account has no doctor profile.")]})
        if requested is not None and requested != own:
            raise ValidationError({"doctor": [_("A doctor may act only for themself.")]})
        return own
    if requested is None:
        raise ValidationError({"doctor": [_("This field is required.")]})
    return requested


def check_practising(doctor, field="doctor"):
    """Only approved, active doctors hold slots and appointments (the serializers offer no others;
    this is the rule itself, for every caller)."""
    if not doctor.is_practising:
        raise ValidationError({field: [NOT_PRACTISING]})
