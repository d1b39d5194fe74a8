from django.db import models


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class BloodType(models.TextChoices):
    A_POS = "A+", "A+"
    A_NEG = "A-", "A-"
    B_POS = "B+", "B+"
    B_NEG = "B-", "B-"
    AB_POS = "AB+", "AB+"
    AB_NEG = "AB-", "AB-"
    O_POS = "O+", "O+"
    O_NEG = "O-", "O-"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No show"


# The appointment status machine: from -> the statuses it may move to. Absent or empty = final.
APPOINTMENT_TRANSITIONS = {
    AppointmentStatus.SCHEDULED: {AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW},
    AppointmentStatus.CONFIRMED: {AppointmentStatus.IN_PROGRESS, AppointmentStatus.CANCELLED,
                                  AppointmentStatus.NO_SHOW},
    AppointmentStatus.IN_PROGRESS: {AppointmentStatus.COMPLETED},
    AppointmentStatus.COMPLETED: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.NO_SHOW: set(),
}

# Appointments still to be seen ("upcoming" lists and counts).
UPCOMING_STATUSES = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED})
# A rescheduled appointment keeps its place in the machine only before the visit has begun.
RESCHEDULABLE_STATUSES = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED})
# A consultation may be opened for an appointment that has not ended.
CONSULTABLE_STATUSES = frozenset({AppointmentStatus.SCHEDULED, AppointmentStatus.CONFIRMED,
                                  AppointmentStatus.IN_PROGRESS})


def can_transition(current, target):
    return target in APPOINTMENT_TRANSITIONS.get(current, set())


class ConsultationStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


CONSULTATION_TRANSITIONS = {
    ConsultationStatus.OPEN: {ConsultationStatus.IN_PROGRESS},
    ConsultationStatus.IN_PROGRESS: {ConsultationStatus.COMPLETED},
    ConsultationStatus.COMPLETED: set(),
}


class NoteType(models.TextChoices):
    ASSESSMENT = "assessment", "Assessment"
    PLAN = "plan", "Plan"
    FOLLOW_UP = "follow_up", "Follow-up"
    PROGRESS = "progress", "Progress"
    OTHER = "other", "Other"


class DocumentKind(models.TextChoices):
    LAB_REPORT = "lab_report", "Lab report"
    IMAGING_REPORT = "imaging_report", "Imaging report"
    REFERRAL_LETTER = "referral_letter", "Referral letter"
    OTHER = "other", "Other"
