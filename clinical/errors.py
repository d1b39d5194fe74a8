"""The `code`s clinical's 409s answer with. Part of the API contract: clients branch on them, so a
value never changes (a new rule gets a new name)."""

ALREADY_IN_CARE = "already_in_care"
CONSULTATION_COMPLETED = "consultation_completed"
GRANT_NOT_LIVE = "grant_not_live"
INVALID_TRANSITION = "invalid_transition"
NOT_STARTED = "not_started"
SLOT_BOOKED = "slot_booked"
SLOT_HAS_HISTORY = "slot_has_history"
SLOT_TAKEN = "slot_taken"
