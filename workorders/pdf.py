"""A work order as a printable PDF: its fields, description, technical action, checklist with its
results, and photo."""

from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, Table, TableStyle

from core.pdf import STYLES, Document, pdf_response, text
from core.serializers import display_name
from workorders.models import WorkOrder

PHOTO_MAX_WIDTH = 14 * cm
PHOTO_MAX_HEIGHT = 10 * cm


def _photo(work_order: WorkOrder):
    with work_order.photo.open("rb") as handle:
        data = BytesIO(handle.read())
    image = Image(data)
    scale = min(PHOTO_MAX_WIDTH / image.imageWidth, PHOTO_MAX_HEIGHT / image.imageHeight, 1)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return image


def _follow_up(work_order: WorkOrder):
    try:
        return work_order.follow_up
    except WorkOrder.follow_up.RelatedObjectDoesNotExist:
        return None


def _checklist(work_order: WorkOrder):
    """One row per step: its text, the result (Passed / FAILED / not recorded) and the remark."""
    results = {result["step"]: result for result in work_order.checklist_results}
    cell = STYLES["BodyText"]
    rows = [["#", "Step", "Result", "Remark"]]
    for number, step in enumerate(work_order.checklist, start=1):
        result = results.get(step)
        outcome = "-" if result is None else ("Passed" if result["passed"] else "FAILED")
        remark = result.get("remark", "") if result else ""
        rows.append([str(number), Paragraph(text(step), cell), outcome, Paragraph(text(remark), cell)])
    table = Table(rows, colWidths=[1 * cm, 8 * cm, 2 * cm, 6 * cm], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def render_work_order_pdf(work_order: WorkOrder) -> bytes:
    device = work_order.device
    location = device.hospital.name + (f", room {device.room}" if device.room else "")
    document = Document(f"Work order {work_order.work_number}")
    # Table cells are plain strings (not parsed as markup), so they need no escaping.
    document.rows([
        ["Work number", work_order.work_number],
        ["Device", f"{device.name} ({device.asset_number})"],
        ["Model", " ".join(filter(None, [device.manufacturer, device.model])) or "-"],
        ["Location", location],
        ["Type / priority", f"{work_order.get_work_type_display()} / {work_order.get_priority_display()}"],
        ["Status", work_order.get_status_display()],
        ["Reported by", (display_name(work_order.created_by) or "-")],
        ["Assigned to", (display_name(work_order.assigned_to) or "-")],
        ["Reported on", f"{work_order.created_at:%Y-%m-%d %H:%M} UTC"],
        ["Due date", f"{work_order.due_date:%Y-%m-%d}"],
        ["Completed on", f"{work_order.completed_at:%Y-%m-%d %H:%M} UTC" if work_order.completed_at
         else f"{work_order.completed_date:%Y-%m-%d}" if work_order.completed_date else "-"],
        *([["PM due date", f"{work_order.pm_due_date:%Y-%m-%d}"]] if work_order.pm_due_date else []),
        *([["Follow-up of", work_order.follow_up_of.work_number]] if work_order.follow_up_of_id else []),
        *([["Corrective follow-up", follow_up.work_number]] if (follow_up := _follow_up(work_order)) else []),
    ])
    document.section("Description", text(work_order.description))
    document.section("Technical action", text(work_order.technical_action))
    if work_order.checklist:
        document.section("Checklist", _checklist(work_order))
    if work_order.photo:
        document.section("Photo", _photo(work_order), keep_together=True)
    return document.build()


def work_order_pdf_response(work_order: WorkOrder):
    return pdf_response(render_work_order_pdf(work_order), f"{work_order.work_number}.pdf")
