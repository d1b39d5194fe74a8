"""A work order as a printable PDF (reportlab platypus)."""

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

from core.serializers import display_name
from workorders.models import WorkOrder

PHOTO_MAX_WIDTH = 14 * cm
PHOTO_MAX_HEIGHT = 10 * cm


def _text(value):
    # Paragraph parses a mini-markup: user text is escaped and keeps its line breaks.
    return escape(value or "-").replace("\n", "<br/>")


def _photo(work_order: WorkOrder):
    with work_order.photo.open("rb") as handle:
        data = BytesIO(handle.read())
    image = Image(data)
    scale = min(PHOTO_MAX_WIDTH / image.imageWidth, PHOTO_MAX_HEIGHT / image.imageHeight, 1)
    image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
    return image


def render_work_order_pdf(work_order: WorkOrder) -> bytes:
    styles = getSampleStyleSheet()
    device = work_order.device
    location = device.hospital.name + (f", room {device.room}" if device.room else "")
    rows = [
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
    ]
    table = Table(rows, colWidths=[4 * cm, 12 * cm])
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story = [
        Paragraph(f"Work order {escape(work_order.work_number)}", styles["Title"]),
        table,
        Spacer(1, 0.6 * cm),
        Paragraph("Description", styles["Heading2"]),
        Paragraph(_text(work_order.description), styles["BodyText"]),
        Paragraph("Technical action", styles["Heading2"]),
        Paragraph(_text(work_order.technical_action), styles["BodyText"]),
    ]
    if work_order.photo:
        story.append(KeepTogether([Paragraph("Photo", styles["Heading2"]), _photo(work_order)]))

    buffer = BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, title=f"Work order {work_order.work_number}",
                                 author="MediTrack", leftMargin=2 * cm, rightMargin=2 * cm)
    document.build(story)
    return buffer.getvalue()
