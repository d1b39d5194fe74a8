"""Logging: one line per record, with the request id, the user id and the route.

LOG_FORMAT=json (the default when DEBUG is off): one JSON object per line, for a log collector:
timestamp (ISO 8601, UTC), level, logger, message, request_id, user_id, route (the resolved view's
name), and the record's other extras (exc_info as text). LOG_FORMAT=plain (the default with DEBUG
on): a readable line. Either way a filter redacts the values of secret and clinical keys (password,
token, code, key, note...) in a record's extras and %-arguments, and `key=value` / `"key": "value"`
pairs of those keys in the message itself."""

import logging
import re

from django.core.exceptions import ImproperlyConfigured
from pythonjsonlogger.json import JsonFormatter

# Keys whose values never reach a log: credentials and one-time codes, and clinical free text.
SECRET_WORDS = frozenset({"password", "passwd", "secret", "token", "access", "refresh", "authorization", "cookie",
                          "code", "otp", "key", "signature", "note", "notes", "diagnosis", "symptoms",
                          "medication", "dosage", "allergies", "body"})
# Whose words say nothing secret: an HTTP status (django.request's extra).
NOT_SECRET = frozenset({"status_code"})
REDACTED = "[redacted]"
_WORD = r"(?:" + "|".join(sorted(SECRET_WORDS)) + r")"
_KEY = rf"(?:[a-z0-9]+[_-])*{_WORD}(?:[_-][a-z0-9]+)*"
# password=..., "password": "...", 'new_password': '...', Authorization: Bearer ... (whole words only).
_IN_TEXT = re.compile(rf"""(?P<key>\b(?!status_code\b){_KEY}\b["']?\s*[:=]\s*)"""
                      r"""(?P<value>"[^"]*"|'[^']*'|(?:Bearer\s+)?[^\s,;&}]+)""", re.IGNORECASE)
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def is_secret_key(key):
    if not isinstance(key, str) or key.lower() in NOT_SECRET:
        return False
    return any(word in SECRET_WORDS for word in re.split(r"[_-]", key.lower()))


def _redact_value(key, value):
    if is_secret_key(key):
        return REDACTED
    if isinstance(value, dict):
        return {k: _redact_value(k, v) for k, v in value.items()}
    return value


def redact_text(text):
    return _IN_TEXT.sub(lambda m: m.group("key") + REDACTED, text)


class RedactingFilter(logging.Filter):
    """Secret and clinical values out of a record before any handler formats it."""

    def filter(self, record):
        if isinstance(record.args, dict):
            record.args = {k: _redact_value(k, v) for k, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(None, arg) for arg in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit: logging reports it when it formats
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        for name in set(vars(record)) - _RECORD_FIELDS:
            value = getattr(record, name)
            setattr(record, name, _redact_value(name, value))
        return True


class JsonLineFormatter(JsonFormatter):
    """python-json-logger's formatter with the field names above; request_id is null outside a request
    or job; Django's request object (an extra of django.request's records) is shown as its method and
    path only."""

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        if log_data.get("request_id") == "-":  # the plain format's "none"
            log_data["request_id"] = None
        request = log_data.pop("request", None)
        if request is not None and hasattr(request, "path"):
            log_data["path"] = request.path
            log_data["method"] = request.method


def logging_config(*, level, log_format="plain"):
    if log_format not in ("json", "plain"):
        raise ImproperlyConfigured(f"LOG_FORMAT: json or plain, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "core.middleware.RequestIdLogFilter"},
            "client_error_tracebacks": {"()": "core.middleware.ClientErrorTracebackFilter"},
            "redact": {"()": "config.logconfig.RedactingFilter"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
            "json": {
                "()": "config.logconfig.JsonLineFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(route)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": True,
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format,
                        "filters": ["request_id", "client_error_tracebacks", "redact"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # One line per request: Django's own "django" handlers (a DEBUG-only console, mail_admins)
            # would print every django.request line a second time; everything goes through root.
            "django": {"handlers": [], "propagate": True},
            # runserver's access line for a failed request repeats django.request's (which carries the
            # request id); successful requests are not logged (the proxy's access log has them).
            "django.server": {"handlers": [], "propagate": False, "level": "CRITICAL"},
        },
    }

