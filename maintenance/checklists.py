"""A PM checklist: the steps an engineer carries out, as a list of texts. Pure validation, shared by
the API and Django admin through maintenance.services. A message about one step starts with its
0-based index as `[i]`, the form the error handler gives a nested field error (and the form of
workorders.checklists' messages about checklist results)."""

from rest_framework.exceptions import ValidationError

from maintenance.choices import CHECKLIST_MAX_STEPS, CHECKLIST_MIN_STEPS

STEP_MAX_LENGTH = 300


def clean_checklist(steps, field="checklist"):
    """The steps stripped, or a 400 naming `field` and the step at fault."""

    def refuse(message):
        raise ValidationError({field: [message]})

    if not isinstance(steps, list | tuple):
        refuse("Give the checklist as a list of step texts.")
    if not CHECKLIST_MIN_STEPS <= len(steps) <= CHECKLIST_MAX_STEPS:
        refuse(f"A checklist has {CHECKLIST_MIN_STEPS} to {CHECKLIST_MAX_STEPS} steps; this one has {len(steps)}.")
    cleaned, seen = [], {}
    for index, step in enumerate(steps):
        if not isinstance(step, str):
            refuse(f"[{index}] A step is a text.")
        text = step.strip()
        if not text:
            refuse(f"[{index}] A step may not be empty.")
        if len(text) > STEP_MAX_LENGTH:
            refuse(f"[{index}] A step has at most {STEP_MAX_LENGTH} characters (this one has {len(text)}).")
        key = text.casefold()
        if key in seen:
            refuse(f"[{index}] {text!r} repeats step [{seen[key]}]; give each step once.")
        seen[key] = index
        cleaned.append(text)
    return cleaned
