"""A consultation summary as a PDF: patient, doctor, vitals, diagnosis, prescriptions, notes."""

from core.pdf import Document, pdf_response, text
from core.serializers import display_name

VITAL_FIELDS = [("systolic_bp", "Systolic BP (mmHg)"), ("diastolic_bp", "Diastolic BP (mmHg)"),
                ("heart_rate", "Heart rate (bpm)"), ("temperature", "Temperature (°C)"),
                ("respiratory_rate", "Respiratory rate (/min)"), ("spo2", "SpO2 (%)"), ("weight", "Weight (kg)"),
                ("height", "Height (cm)"), ("bmi", "BMI")]
PRESCRIPTION_HEADER = ["Medication", "Dosage", "Route", "Frequency", "Days", "Qty", "Refills"]


def consultation_pdf(consultation) -> bytes:
    appointment = consultation.appointment
    patient, doctor = appointment.patient, appointment.doctor
    document = Document(f"Consultation {consultation.pk}")
    document.line(f"Patient: {text(patient.first_name)} {text(patient.last_name)} "
                  f"({text(patient.medical_record_number)}), born {text(patient.date_of_birth)}")
    document.line(f"Doctor: {text(display_name(doctor.user))} ({text(doctor.specialization)})")
    document.line(f"Appointment: {text(appointment.slot.date)} {appointment.slot.start_time:%H:%M}; "
                  f"status {text(consultation.status)}")
    document.section("Findings", f"Chief complaint: {text(consultation.chief_complaint)}",
                     f"Diagnosis: {text(consultation.diagnosis)}", f"Summary: {text(consultation.summary)}",
                     f"Follow-up: {text(consultation.follow_up_date)}")
    document.section("Vital signs")
    vitals = list(consultation.vital_signs.order_by("recorded_at", "id"))
    if vitals:
        document.table(["Recorded", *[label for _, label in VITAL_FIELDS]],
                       [[f"{v.recorded_at:%Y-%m-%d %H:%M}", *[text(getattr(v, f)) for f, _ in VITAL_FIELDS]]
                        for v in vitals])
    else:
        document.line("None recorded.")
    document.section("Prescriptions")
    prescriptions = list(consultation.prescriptions.order_by("created_at", "id"))
    if prescriptions:
        document.table(PRESCRIPTION_HEADER,
                       [[text(p.medication), text(p.dosage), text(p.route), text(p.frequency),
                         text(p.duration_days), text(p.quantity), text(p.refills)] for p in prescriptions])
    else:
        document.line("None.")
    document.section("Notes")
    notes = list(consultation.notes.select_related("author").order_by("created_at", "id"))
    for note in notes:
        document.line(f"<b>{text(note.get_note_type_display())}</b> ({text(display_name(note.author) or '')}, "
                      f"{note.created_at:%Y-%m-%d %H:%M}): {text(note.content)}")
    if not notes:
        document.line("None.")
    return document.build()


def consultation_pdf_response(consultation):
    return pdf_response(consultation_pdf(consultation), f"consultation-{consultation.pk}.pdf")
