"""The `code`s devices' 400s and 409s answer with. Part of the API contract: clients branch on them,
so a value never changes (a new rule gets a new name)."""

DEVICE_IN_USE = "device_in_use"
DEVICE_NOT_ACTIVE = "device_not_active"
DOWNTIME_OPEN = "downtime_open"
INVALID_TRANSITION = "invalid_transition"
MONITOR_IN_USE = "monitor_in_use"
MONITOR_NOT_ASSIGNED = "monitor_not_assigned"
NOT_A_MONITOR = "not_a_monitor"
PATIENT_HAS_MONITOR = "patient_has_monitor"
ROOM_IN_USE = "room_in_use"
