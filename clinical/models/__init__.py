"""Clinical models by concern; re-exported so `from clinical.models import Patient` keeps working."""
from clinical.models.access import BreakGlassGrant, BreakGlassGrantQuerySet
from clinical.models.consultations import (
    Consultation,
    ConsultationNote,
    ConsultationQuerySet,
    Prescription,
    VitalSigns,
)
from clinical.models.directory import DoctorProfile, DoctorProfileQuerySet
from clinical.models.patients import (
    DEFAULT_HR_HIGH,
    DEFAULT_HR_LOW,
    HR_THRESHOLD_VALIDATORS,
    Patient,
    PatientDoctorMapping,
    PatientDoctorMappingQuerySet,
    PatientDocument,
    PatientDocumentQuerySet,
    PatientQuerySet,
    next_medical_record_number,
)
from clinical.models.scheduling import (
    Appointment,
    AppointmentHistory,
    AppointmentQuerySet,
    TimeSlot,
    TimeSlotQuerySet,
    not_started_q,
)

# Department moved to the organisation app (accounts depends on it too); re-exported for old imports.
from organisation.models import Department

__all__ = [
    "DEFAULT_HR_HIGH",
    "DEFAULT_HR_LOW",
    "HR_THRESHOLD_VALIDATORS",
    "Appointment",
    "AppointmentHistory",
    "AppointmentQuerySet",
    "BreakGlassGrant",
    "BreakGlassGrantQuerySet",
    "Consultation",
    "ConsultationNote",
    "ConsultationQuerySet",
    "Department",
    "DoctorProfile",
    "DoctorProfileQuerySet",
    "Patient",
    "PatientDoctorMapping",
    "PatientDoctorMappingQuerySet",
    "PatientDocument",
    "PatientDocumentQuerySet",
    "PatientQuerySet",
    "Prescription",
    "TimeSlot",
    "TimeSlotQuerySet",
    "VitalSigns",
    "next_medical_record_number",
    "not_started_q",
]
