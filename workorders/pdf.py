"""A work order as a printable PDF: its fields, description, technical action and photo."""

from io import BytesIO

from reportlab.lib.units import cm
from reportlab.platypus import Image

from core.pdf import Document, pdf_response, text
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
        ["Completed on", f"{work_order.completed_date:%Y-%m-%d}" if work_order.completed_date else "-"],
    ])
    document.section("Description", text(work_order.description))
    document.section("Technical action", text(work_order.technical_action))
    if work_order.photo:
        document.section("Photo", _photo(work_order), keep_together=True)
    return document.build()


def work_order_pdf_response(work_order: WorkOrder):
    return pdf_response(render_work_order_pdf(work_order), f"{work_order.work_number}.pdf")
