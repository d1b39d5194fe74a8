"""The `code`s work orders' 409s answer with. Part of the API contract: clients branch on them,
so a value never changes (a new rule gets a new name)."""

DEVICE_DECOMMISSIONED = "device_decommissioned"
INVALID_TRANSITION = "invalid_transition"
WORK_NUMBER_TAKEN = "work_number_taken"
WORK_ORDER_CLOSED = "work_order_closed"
WORK_ORDER_IN_USE = "work_order_in_use"
WORK_ORDER_NOT_OPEN = "work_order_not_open"
