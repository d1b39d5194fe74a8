"""Text messages (appointment reminders), through a pluggable backend like Django's email.

`send_sms(to, body)` hands one message to the backend named by `settings.SMS_BACKEND`:

- `core.sms.ConsoleSmsBackend` (the default): logs it (logger `meditrack.sms`), the number masked;
- `core.sms.HttpSmsBackend`: POSTs `{"to", "body"}` as JSON to `SMS_GATEWAY_URL` with
  `Authorization: Bearer SMS_GATEWAY_TOKEN`, waiting at most `SMS_GATEWAY_TIMEOUT` seconds; anything
  but a 2xx answer raises `SmsGatewayError` (an OSError), so the Celery task that sent it retries;
- `core.sms.LocmemSmsBackend`: keeps them in `core.sms.outbox` (tests), as Django's locmem mail.

Numbers are E.164 (`+` then 8 to 15 digits, the first not 0): `normalise_phone` is the one rule,
used by the patient API's phone fields and checked again here before anything is sent.
"""

import json
import logging
import re
import urllib.error
import urllib.request

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.module_loading import import_string
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

logger = logging.getLogger("meditrack.sms")

E164_PATTERN = re.compile(r"^\+[1-9]\d{7,14}$")
E164_EXAMPLE = "+966501234567"
E164_MESSAGE = format_lazy(gettext_lazy("Enter the number in international E.164 form: + and the country code, then "
                                        "the number (8 to 15 digits in all), e.g. {example}. Spaces, dashes, dots "
                                        "and brackets are ignored."), example=E164_EXAMPLE)
# What people type between digit groups ("+966 50-123 (4567)"): dropped before the check.
_SEPARATORS = re.compile(r"[\s\-.()]")

# LocmemSmsBackend's sent messages: [{"to": ..., "body": ...}] (tests empty it).
outbox = []


def normalise_phone(value):
    """'+966 50 123-4567' -> '+966501234567'; blank stays blank. Raises ValueError when what is left
    is not E.164."""
    value = _SEPARATORS.sub("", value or "")
    if value and not E164_PATTERN.match(value):
        raise ValueError(E164_MESSAGE)
    return value


def is_e164(value):
    return bool(value) and bool(E164_PATTERN.match(value))


def validate_e164(value):
    """Model-field validator (admin and full_clean): a stored number is blank or E.164 exactly."""
    if value and not E164_PATTERN.match(value):
        raise ValidationError(E164_MESSAGE, code="invalid_phone")


def mask_phone(number):
    """'+966501234567' -> '+*********4567': logs say which message went out, not to whom."""
    number = number or ""
    if len(number) <= 4:
        return "*" * len(number)
    prefix = "+" if number.startswith("+") else ""
    return prefix + "*" * (len(number) - 4 - len(prefix)) + number[-4:]


class SmsGatewayError(OSError):
    """The gateway refused or failed the message. An OSError, so `send_sms_task` retries it."""


class BaseSmsBackend:
    def send(self, to, body):
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: the message is logged (and so printed by `make run`), the number masked."""

    def send(self, to, body):
        logger.info("SMS to %s: %s", mask_phone(to), body)


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: messages are appended to `core.sms.outbox`."""

    def send(self, to, body):
        outbox.append({"to": to, "body": body})


class HttpSmsBackend(BaseSmsBackend):
    """A JSON POST to the gateway; only the standard library (urllib), no new dependency."""

    def __init__(self, url=None, token=None, timeout=None):
        self.url = url if url is not None else settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        self.timeout = timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT
        if not self.url.lower().startswith(("https://", "http://")):
            raise ImproperlyConfigured("SMS_BACKEND is the HTTP gateway: SMS_GATEWAY_URL must be an http(s) URL, "
                                       f"not {self.url!r}.")

    def send(self, to, body):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The scheme is checked in __init__ (http or https only), hence the noqa.
        request = urllib.request.Request(self.url, data=json.dumps({"to": to, "body": body}).encode(),  # noqa: S310
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:  # a 4xx/5xx answer
            raise SmsGatewayError(f"SMS gateway answered {exc.code} for a message to {mask_phone(to)}.") from exc
        except (urllib.error.URLError, TimeoutError) as exc:  # refused, unreachable, too slow
            raise SmsGatewayError(f"SMS gateway unreachable for a message to {mask_phone(to)}: "
                                  f"{getattr(exc, 'reason', exc)}.") from exc
        if not 200 <= status < 300:  # a 1xx/3xx that urllib did not follow
            raise SmsGatewayError(f"SMS gateway answered {status} for a message to {mask_phone(to)}.")
        logger.info("SMS to %s accepted by the gateway (%s)", mask_phone(to), status)


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(to, body):
    """Send one text now through the configured backend. A number that is not E.164 is refused
    (ValueError) before any backend sees it."""
    if not is_e164(to):
        raise ValueError(f"Not an E.164 number: {mask_phone(to)!r}.")
    get_backend().send(to, body)
