"""Every clinical write that has a rule, by concern. Each runs in one transaction and locks what it
decides on; re-exported so `services.appointment_book` keeps working."""
from clinical.services.access import break_glass_grant, break_glass_revoke
from clinical.services.consultations import (
    appointment_complete,
    consultation_complete,
    consultation_create,
    consultation_start,
    consultation_update,
    note_add,
    prescription_add,
    vital_signs_add,
)
from clinical.services.directory import NOT_PRACTISING, acting_doctor, check_practising
from clinical.services.patients import (
    document_archive,
    document_upload,
    mapping_create,
    patient_archive,
    patient_create,
)
from clinical.services.scheduling import (
    MAX_BULK_DAYS,
    appointment_book,
    appointment_cancel,
    appointment_confirm,
    appointment_no_show,
    appointment_reschedule,
    booking_patient,
    timeslot_bulk_create,
    timeslot_create,
    timeslot_delete,
    timeslot_update,
)

__all__ = [
    "MAX_BULK_DAYS",
    "NOT_PRACTISING",
    "acting_doctor",
    "appointment_book",
    "appointment_cancel",
    "appointment_complete",
    "appointment_confirm",
    "appointment_no_show",
    "appointment_reschedule",
    "booking_patient",
    "break_glass_grant",
    "break_glass_revoke",
    "check_practising",
    "consultation_complete",
    "consultation_create",
    "consultation_start",
    "consultation_update",
    "document_archive",
    "document_upload",
    "mapping_create",
    "note_add",
    "patient_archive",
    "patient_create",
    "prescription_add",
    "timeslot_bulk_create",
    "timeslot_create",
    "timeslot_delete",
    "timeslot_update",
    "vital_signs_add",
]
