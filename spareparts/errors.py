"""The `code`s spareparts' 409s answer with. Part of the API contract: clients branch on them, so a
value never changes (a new rule gets a new name)."""

REQUEST_NUMBER_TAKEN = "request_number_taken"
SPARE_PART_NOT_PENDING = "spare_part_not_pending"
