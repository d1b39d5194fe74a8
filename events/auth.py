"""The WebSocket's token check: the same access JWT, checked the same way, as `Authorization: Bearer`
on the REST API (core.authentication.BearerAuthentication: signature, expiry, `token_type` access,
the user exists and is active), plus an approved account."""

from datetime import UTC, datetime

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from core.authentication import BearerAuthentication

# An access JWT is a few hundred bytes; anything much longer is not one (and is not decoded).
MAX_TOKEN_LENGTH = 8192
APPROVED = "approved"  # accounts.choices.ApprovalStatus.APPROVED (tests/events pins it)


def authenticate(raw_token):
    """(user, expires_at) for a valid access token of an active, approved user; None otherwise."""
    if not isinstance(raw_token, str) or not raw_token or len(raw_token) > MAX_TOKEN_LENGTH:
        return None
    backend = BearerAuthentication()
    try:
        token = backend.get_validated_token(raw_token.encode())
        user = backend.get_user(token)
    except (InvalidToken, TokenError, AuthenticationFailed):
        return None
    if not user.is_active or getattr(user, "approval_status", APPROVED) != APPROVED:
        return None
    return user, datetime.fromtimestamp(token["exp"], tz=UTC)
