"""The `code`s accounts' refusals answer with. Part of the API contract: clients branch on them,
so a value never changes (a new rule gets a new name)."""

ACCOUNT_INACTIVE = "account_inactive"
ACCOUNT_PENDING = "account_pending"
ACCOUNT_REJECTED = "account_rejected"
INVALID_CREDENTIALS = "invalid_credentials"
NOT_PENDING = "not_pending"
SELF_DEACTIVATION = "self_deactivation"
