"""PDF documents (reportlab platypus) and the one way a route answers them.

A domain module says what goes in (clinical/pdf.py, workorders/pdf.py); this module says how it looks
and how it leaves: every PDF route answers `attachment` (see README Conventions), so a browser saves
a consultation summary and a work order the same way.
"""

from io import BytesIO
from xml.sax.saxutils import escape

from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

STYLES = getSampleStyleSheet()


def text(value) -> str:
    """User text for a Paragraph, which parses a mini-markup: escaped, line breaks kept, '-' when empty."""
    if value in (None, ""):
        return "-"
    return escape(str(value)).replace("\n", "<br/>")


class Document:
    """A titled A4 document built top to bottom: lines, key/value rows, tables, sections."""

    def __init__(self, title: str):
        self.title = title
        self.story = [Paragraph(escape(title), STYLES["Title"])]

    def line(self, markup: str):
        """A paragraph of body text; user values in it go through text()."""
        self.story.append(Paragraph(markup, STYLES["BodyText"]))

    def rows(self, rows):
        """Label/value pairs, labels bold: the record's fields at a glance."""
        table = Table([[label, value] for label, value in rows], colWidths=[4 * cm, 12 * cm])
        table.setStyle(TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                                   ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        self.story += [table, Spacer(1, 0.6 * cm)]

    def table(self, header, rows):
        """A grid with a shaded header row, small print so that wide ones (vital signs) fit."""
        table = Table([header, *rows], hAlign="LEFT")
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                                   ("FONTSIZE", (0, 0), (-1, -1), 8)]))
        self.story.append(table)

    def section(self, heading: str, *parts, keep_together=False):
        """A heading and what follows it: strings become paragraphs, flowables go in as they are."""
        flowables = [Paragraph(escape(heading), STYLES["Heading2"])]
        flowables += [Paragraph(part, STYLES["BodyText"]) if isinstance(part, str) else part for part in parts]
        self.story += [KeepTogether(flowables)] if keep_together else flowables

    def build(self) -> bytes:
        buffer = BytesIO()
        SimpleDocTemplate(buffer, pagesize=A4, title=self.title, author="MediTrack",
                          leftMargin=2 * cm, rightMargin=2 * cm).build(self.story)
        return buffer.getvalue()


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """The answer of every PDF route: the bytes, as a download named `filename`."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
