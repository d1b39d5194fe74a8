"""One-time codes in the cache (Redis in production): 6 digits, stored hashed, single use.

A new code for the same (purpose, email) replaces the old one. Wrong guesses are counted; after
OTP_MAX_ATTEMPTS the code is dead. Nothing here says whether an account exists.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.cache import cache


def _key(purpose, email):
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"otp:{purpose}:{digest}", f"otp-fails:{purpose}:{digest}"


def _hash(purpose, email, code):
    message = f"{purpose}:{email.strip().lower()}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def issue_code(purpose, email, ttl_seconds=None):
    """Store a fresh code (replacing any earlier one) and return it in clear, for the email only."""
    ttl = ttl_seconds or settings.OTP_TTL_SECONDS
    code = f"{secrets.randbelow(10**6):06d}"
    code_key, fails_key = _key(purpose, email)
    cache.set(code_key, _hash(purpose, email, code), ttl)
    cache.delete(fails_key)
    return code


def code_matches(purpose, email, code):
    """Whether the code is the live one, without using it up; a wrong one counts towards the
    attempt limit."""
    code_key, fails_key = _key(purpose, email)
    stored = cache.get(code_key)
    if stored is None:
        return False
    if hmac.compare_digest(stored, _hash(purpose, email, str(code))):
        return True
    cache.add(fails_key, 0, settings.INVITATION_TTL_SECONDS)
    if cache.incr(fails_key) >= settings.OTP_MAX_ATTEMPTS:
        cache.delete(code_key)
    return False


def consume_code(purpose, email, code):
    """True once for the right code; a wrong one counts towards the attempt limit."""
    if not code_matches(purpose, email, code):
        return False
    code_key, fails_key = _key(purpose, email)
    # cache.delete answers whether it removed the key: of two concurrent uses, one wins.
    won = cache.delete(code_key)
    cache.delete(fails_key)
    return bool(won)
