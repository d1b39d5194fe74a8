"""The `code`s monitoring's errors answer with. Part of the API contract: clients (and monitors)
branch on them, so a value never changes (a new rule gets a new name)."""

INVALID_API_KEY = "invalid_api_key"
INVALID_TRANSITION = "invalid_transition"
NOT_A_MONITOR = "not_a_monitor"
