"""core.sms: E.164 numbers, the console backend's masked log, the locmem outbox, and the HTTP
gateway backend against a real local HTTP server (headers, body, timeout, non-2xx)."""

import json
import logging
import time

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinical.tasks import send_sms_task
from core import sms
from core.testing import LocalHTTPServer


@pytest.mark.parametrize(("raw", "stored"), [
    ("+966501234567", "+966501234567"),
    ("+966 50 123 4567", "+966501234567"),
    ("+966-50-123-4567", "+966501234567"),
    ("+1 (415) 555.0100", "+14155550100"),
    ("+12345678", "+12345678"),  # 8 digits: the shortest
    ("+123456789012345", "+123456789012345"),  # 15 digits: the longest
    ("", ""),
])
def test_normalise_phone_accepts_e164_and_drops_separators(raw, stored):
    assert sms.normalise_phone(raw) == stored


@pytest.mark.parametrize("raw", [
    "0501234567",  # national form, no country code
    "966501234567",  # no +
    "+0501234567",  # a country code never starts with 0
    "+1234567",  # 7 digits
    "+1234567890123456",  # 16 digits
    "+96650123456x",
    "++966501234567",
    "+",
])
def test_normalise_phone_refuses_anything_else(raw):
    with pytest.raises(ValueError, match=r"E\.164.*\+966501234567"):
        sms.normalise_phone(raw)


def test_mask_phone_keeps_the_last_four_digits():
    assert sms.mask_phone("+966501234567") == "+********4567"
    assert sms.mask_phone("123") == "***"
    assert sms.mask_phone("") == ""


def test_console_backend_logs_the_message_with_the_number_masked(settings, caplog):
    settings.SMS_BACKEND = "core.sms.ConsoleSmsBackend"
    caplog.set_level(logging.INFO, logger="meditrack.sms")
    sms.send_sms("+966501234567", "Your appointment is tomorrow at 09:00.")
    lines = [r.getMessage() for r in caplog.records if r.name == "meditrack.sms"]
    assert lines == ["SMS to +********4567: Your appointment is tomorrow at 09:00."]
    assert "966501234567" not in caplog.text


def test_locmem_backend_keeps_messages_in_the_outbox(settings):
    settings.SMS_BACKEND = "core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    send_sms_task.delay("+966501234567", "hello")  # eager in tests
    assert sms.outbox == [{"to": "+966501234567", "body": "hello"}]
    sms.outbox.clear()


def test_send_sms_refuses_a_number_that_is_not_e164(settings):
    settings.SMS_BACKEND = "core.sms.LocmemSmsBackend"
    sms.outbox.clear()
    with pytest.raises(ValueError, match=r"Not an E\.164 number"):
        sms.send_sms("0501234567", "hello")
    assert sms.outbox == []


def test_the_task_retries_gateway_failures():
    # A gateway failure is an OSError: the Celery task's autoretry catches it (backoff, 5 tries).
    assert issubclass(sms.SmsGatewayError, OSError)
    assert send_sms_task.autoretry_for == (OSError,)
    assert send_sms_task.max_retries == 5 and send_sms_task.retry_backoff


# --- The HTTP gateway backend, against a local server ---------------------------------------------

class Gateway(LocalHTTPServer):
    """A local HTTP server answering each POST with `status` after `delay` seconds, and keeping what
    it received."""

    path = "/v1/messages"

    def __init__(self, status=200, delay=0.0):
        self.status, self.delay, self.requests = status, delay, []
        super().__init__()

    def answer(self, request):
        length = int(request.headers.get("Content-Length", 0))
        self.requests.append({"path": request.path, "headers": dict(request.headers),
                              "body": request.rfile.read(length)})
        time.sleep(self.delay)
        try:
            request.send_response(self.status)
            request.send_header("Content-Type", "application/json")
            request.end_headers()
            request.wfile.write(b'{"id": "msg-1"}')
        except OSError:  # the client gave up (timeout)
            pass


@pytest.fixture
def http_backend(settings):
    def configure(url, token="secret-token", timeout=2.0):
        settings.SMS_BACKEND = "core.sms.HttpSmsBackend"
        settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN, settings.SMS_GATEWAY_TIMEOUT = url, token, timeout

    return configure


def test_http_backend_posts_json_with_the_bearer_token(http_backend):
    with Gateway() as gateway:
        http_backend(gateway.url)
        sms.send_sms("+966501234567", "Reminder: 09:00 with Dr Doe")
    [request] = gateway.requests
    assert request["path"] == "/v1/messages"
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert request["headers"]["Content-Type"] == "application/json"
    assert json.loads(request["body"]) == {"to": "+966501234567", "body": "Reminder: 09:00 with Dr Doe"}


def test_http_backend_sends_no_authorization_without_a_token(http_backend):
    with Gateway() as gateway:
        http_backend(gateway.url, token="")
        sms.send_sms("+966501234567", "hello")
    assert "Authorization" not in gateway.requests[0]["headers"]


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_http_backend_raises_on_a_non_2xx_answer(http_backend, status):
    with Gateway(status=status) as gateway:
        http_backend(gateway.url)
        with pytest.raises(sms.SmsGatewayError, match=f"answered {status}") as raised:
            sms.send_sms("+966501234567", "hello")
    assert "966501234567" not in str(raised.value)  # the number stays masked in errors too
    assert len(gateway.requests) == 1


def test_http_backend_gives_up_after_the_timeout(http_backend):
    with Gateway(delay=1.5) as gateway:
        http_backend(gateway.url, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(sms.SmsGatewayError, match="unreachable"):
            sms.send_sms("+966501234567", "hello")
        assert time.monotonic() - started < 1.2


def test_http_backend_raises_when_the_gateway_is_down(http_backend):
    with Gateway() as gateway:
        url = gateway.url
    http_backend(url)  # the server is closed: connection refused
    with pytest.raises(sms.SmsGatewayError, match="unreachable"):
        sms.send_sms("+966501234567", "hello")


@pytest.mark.parametrize("url", ["", "file:///etc/passwd", "ftp://gateway.example/sms"])
def test_http_backend_needs_an_http_url(http_backend, url):
    http_backend(url)
    with pytest.raises(ImproperlyConfigured, match="SMS_GATEWAY_URL"):
        sms.send_sms("+966501234567", "hello")
