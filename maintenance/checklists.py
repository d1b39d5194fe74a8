"""A PM checklist: the steps an engineer carries out, as a list of texts. Pure validation, shared by
the API and Django admin through maintenance.services. A message about one step starts with its
0-based index as `[i]`, the form the error handler gives a nested field error (and the form of
workorders.checklists' messages about checklist results)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from maintenance.choices import CHECKLIST_MAX_STEPS, CHECKLIST_MIN_STEPS

STEP_MAX_LENGTH = 300


def duplicate_messages(steps):
    """A message per step that repeats an earlier one (compared stripped and case-insensitively)."""
    messages, seen = [], {}
    for index, step in enumerate(steps):
        key = step.strip().casefold()
        if key in seen:
            messages.append(f"[{index}] {step.strip()!r} repeats step [{seen[key]}]; give each step once.")
        else:
            seen[key] = index
    return messages


def checklist_messages(steps):
    """Every problem with `steps` as messages ([] when the checklist is fine)."""
    if not isinstance(steps, list | tuple):
        return [_("Give the checklist as a list of step texts.")]
    messages = []
    if not CHECKLIST_MIN_STEPS <= len(steps) <= CHECKLIST_MAX_STEPS:
        messages.append(_("A checklist has %(min)s to %(max)s steps; this one has %(count)s.") % {
            "min": CHECKLIST_MIN_STEPS, "max": CHECKLIST_MAX_STEPS, "count": len(steps)})
    for index, step in enumerate(steps):
        if not isinstance(step, str):
            messages.append(f"[{index}] " + _("A step is a text."))
            continue
        text = step.strip()
        if not text:
            messages.append(f"[{index}] " + _("A step may not be empty."))
        elif len(text) > STEP_MAX_LENGTH:
            messages.append(f"[{index}] " + _("A step has at most %(max)s characters (this one has %(count)s).") % {
                "max": STEP_MAX_LENGTH, "count": len(text)})
    if not messages:
        messages = duplicate_messages(steps)
    return messages


def clean_checklist(steps, field="checklist"):
    """The steps stripped, or a 400 naming `field` with every step at fault."""
    messages = checklist_messages(steps)
    if messages:
        raise ValidationError({field: messages})
    return [step.strip() for step in steps]
