"""Checklist results, the pure rules: which results a work order's checklist accepts, which steps
still lack one, which failed. No database here; workorders.services applies them under a row lock.

A result names its step by the step's TEXT (as copied from the PM schedule), not by its position: a
client shows the texts, and a text cannot silently point at another step. Each step takes at most
one result; results are stored in the checklist's order, whatever order they came in.
Errors name `checklist_results`, each message starting with the item's 0-based index as `[i]`
(the same form the error handler gives a nested field error)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

FIELD = "checklist_results"


def steps(checklist):
    """The distinct step texts, in checklist order (a repeated text is one step)."""
    return list(dict.fromkeys(checklist or []))


def clean_results(checklist, results):
    """`results` ([{step, passed, remark}], shape already checked) as stored: plain dicts in checklist
    order. A 400 naming checklist_results for a work order without a checklist, a step that is not on
    the checklist, or a step given twice."""
    results = list(results or [])
    known = steps(checklist)
    if not known:
        if results:
            raise ValidationError({FIELD: [_("This work order has no checklist, so it takes no checklist results.")]})
        return []
    errors, seen = [], {}
    for index, result in enumerate(results):
        step = result["step"]
        if step not in known:
            errors.append(f"[{index}] step: " + _("%(step)r is not a step of this work order's checklist "
                                                    "(give the step's exact text).") % {"step": step})
        elif step in seen:
            errors.append(f"[{index}] step: " + _("%(step)r already has a result at [%(first)s]; "
                                                    "give each step at most once.") % {
                "step": step, "first": seen[step]})
        else:
            seen[step] = index
    if errors:
        raise ValidationError({FIELD: errors})
    by_step = {result["step"]: result for result in results}
    return [{"step": step, "passed": bool(by_step[step]["passed"]), "remark": by_step[step].get("remark") or ""}
            for step in known if step in by_step]


def missing_steps(checklist, results):
    """The steps with no result yet, in checklist order."""
    done = {result["step"] for result in results or []}
    return [step for step in steps(checklist) if step not in done]


def failed_steps(results):
    """The steps whose result is passed=false, in stored (checklist) order."""
    return [result["step"] for result in results or [] if not result["passed"]]


def follow_up_description(work_number, failed):
    """The corrective work order's description: equipment text only (the work number and the failed
    step texts, which come from the PM schedule), never clinical free text such as a remark."""
    return f"Failed PM checklist on {work_number}: {'; '.join(failed)}"
