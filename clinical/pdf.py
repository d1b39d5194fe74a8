"""A consultation summary as a PDF (reportlab): patient, doctor, vitals, diagnosis, prescriptions, notes."""

import io
from xml.sax.saxutils import escape

from django.http import HttpResponse
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.serializers import display_name

VITAL_FIELDS = [("systolic_bp", "Systolic BP (mmHg)"), ("diastolic_bp", "Diastolic BP (mmHg)"),
                ("heart_rate", "Heart rate (bpm)"), ("temperature", "Temperature (°C)"),
                ("respiratory_rate", "Respiratory rate (/min)"), ("spo2", "SpO2 (%)"), ("weight", "Weight (kg)"),
                ("height", "Height (cm)"), ("bmi", "BMI")]


def _text(value):
    return escape(str(value)) if value not in (None, "") else "-"


def _table(rows):
    table = Table(rows, hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                               ("FONTSIZE", (0, 0), (-1, -1), 8)]))
    return table


def consultation_pdf(consultation):
    appointment = consultation.appointment
    patient, doctor = appointment.patient, appointment.doctor
    styles = getSampleStyleSheet()
    body, heading = styles["BodyText"], styles["Heading2"]
    story = [
        Paragraph(f"Consultation {consultation.pk}", styles["Title"]),
        Paragraph(f"Patient: {_text(patient.first_name)} {_text(patient.last_name)} "
                  f"({_text(patient.medical_record_number)}), born {_text(patient.date_of_birth)}", body),
        Paragraph(f"Doctor: {_text(display_name(doctor.user))} "
                  f"({_text(doctor.specialization)})", body),
        Paragraph(f"Appointment: {_text(appointment.slot.date)} {appointment.slot.start_time:%H:%M}; "
                  f"status {_text(consultation.status)}", body),
        Paragraph("Findings", heading),
        Paragraph(f"Chief complaint: {_text(consultation.chief_complaint)}", body),
        Paragraph(f"Diagnosis: {_text(consultation.diagnosis)}", body),
        Paragraph(f"Summary: {_text(consultation.summary)}", body),
        Paragraph(f"Follow-up: {_text(consultation.follow_up_date)}", body),
        Paragraph("Vital signs", heading),
    ]
    vitals = list(consultation.vital_signs.order_by("recorded_at", "id"))
    if vitals:
        story.append(_table([["Recorded", *[label for _, label in VITAL_FIELDS]]]
                            + [[f"{v.recorded_at:%Y-%m-%d %H:%M}", *[_text(getattr(v, f)) for f, _ in VITAL_FIELDS]]
                               for v in vitals]))
    else:
        story.append(Paragraph("None recorded.", body))
    story.append(Paragraph("Prescriptions", heading))
    prescriptions = list(consultation.prescriptions.order_by("created_at", "id"))
    if prescriptions:
        story.append(_table([["Medication", "Dosage", "Route", "Frequency", "Days", "Qty", "Refills"]]
                            + [[_text(p.medication), _text(p.dosage), _text(p.route), _text(p.frequency),
                                _text(p.duration_days), _text(p.quantity), _text(p.refills)] for p in prescriptions]))
    else:
        story.append(Paragraph("None.", body))
    story.append(Paragraph("Notes", heading))
    notes = list(consultation.notes.select_related("author").order_by("created_at", "id"))
    for note in notes:
        author = display_name(note.author) or ""
        story.append(Paragraph(f"<b>{_text(note.get_note_type_display())}</b> ({_text(author)}, "
                               f"{note.created_at:%Y-%m-%d %H:%M}): {_text(note.content)}", body))
    if not notes:
        story.append(Paragraph("None.", body))
    story.append(Spacer(1, 12))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=f"Consultation {consultation.pk}").build(story)
    return buffer.getvalue()


def consultation_pdf_response(consultation):
    response = HttpResponse(consultation_pdf(consultation), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="consultation-{consultation.pk}.pdf"'
    return response
