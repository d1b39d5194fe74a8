"""Structured logs (LOG_FORMAT=json, the default with DEBUG off): one JSON object per line with
timestamp, level, logger, message, request_id, user_id and route, and never a secret or clinical text."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.log import configure_logging

from accounts.choices import Role
from config.logconfig import REDACTED, logging_config, redact_text
from core.jobs import run_job
from core.middleware import set_request_id
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def json_lines():
    """The console handler's output, as the production (JSON) configuration writes it."""
    configure_logging(django_settings.LOGGING_CONFIG, logging_config(level="INFO", log_format="json"))
    stream = io.StringIO()
    (handler,) = logging.getLogger().handlers
    handler.setStream(stream)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    lines.raw = stream.getvalue
    yield lines
    configure_logging(django_settings.LOGGING_CONFIG, django_settings.LOGGING)


def test_a_refused_request_is_one_json_line_with_request_user_and_route(json_lines, client_for):
    nurse = client_for(Role.NURSE)
    response = nurse.get("/api/users/", HTTP_X_REQUEST_ID="json-403")
    assert response.status_code == 403
    (line,) = json_lines()
    assert {"timestamp", "level", "logger", "message", "request_id", "user_id", "route"} <= set(line)
    assert line["level"] == "WARNING" and line["logger"] == "django.request"
    assert line["request_id"] == "json-403" and line["user_id"] == nurse.user.pk
    assert line["route"] == "user-list" and line["status_code"] == 403
    assert line["path"] == "/api/users/" and line["timestamp"].endswith("+00:00")


def test_a_failed_login_logs_no_password(json_lines, api_client):
    UserFactory(username="ward-nurse", role=Role.NURSE)
    response = api_client.post("/api/auth/login/", {"username": "ward-nurse", "password": PASSWORD}, format="json")
    assert response.status_code in (400, 401)
    lines = json_lines()
    assert lines and all(line["user_id"] is None for line in lines)
    assert lines[-1]["route"] == "login"
    assert PASSWORD not in json_lines.raw()


def test_secrets_in_extras_arguments_and_text_are_redacted(json_lines):
    log = logging.getLogger("meditrack.test")
    log.warning("login body %s", {"username": "a", "password": PASSWORD, "otp": "123456"},
                extra={"api_key": "mtk_live_secret", "refresh_token": "eyJ.refresh", "device": 7})
    log.warning('echo {"password": "%s", "note": "chest pain since Monday"} Authorization: Bearer eyJ.access',
                PASSWORD)
    log.info("code=424242 and key=abc, status_code=404")
    first, second, third = json_lines()
    raw = json_lines.raw()
    for secret in (PASSWORD, "123456", "mtk_live_secret", "eyJ.refresh", "chest pain", "eyJ.access", "424242"):
        assert secret not in raw, secret
    assert first["api_key"] == REDACTED and first["refresh_token"] == REDACTED and first["device"] == 7
    assert "'username': 'a'" in first["message"]
    assert second["message"].startswith('echo {"password": [redacted], "note": [redacted]}')
    assert "status_code=404" in third["message"]


def test_a_job_line_carries_its_run_id_and_no_user(json_lines):
    run_job("sample", lambda: {"created": 1})
    (line,) = json_lines()
    assert line["logger"] == "meditrack.jobs" and line["request_id"].startswith("job-sample-")
    assert line["user_id"] is None and line["route"] is None


def test_a_line_outside_any_request_has_null_context(json_lines):
    set_request_id("-")
    logging.getLogger("meditrack.test").info("starting")
    (line,) = json_lines()
    assert (line["request_id"], line["user_id"], line["route"]) == (None, None, None)


def test_plain_format_stays_readable():
    config = logging_config(level="INFO", log_format="plain")
    assert config["handlers"]["console"]["formatter"] == "plain"
    assert "redact" in config["handlers"]["console"]["filters"]
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(level="INFO", log_format="xml")


@pytest.mark.parametrize("text", ["password=hunter2", "new_password: 'hunter2'", '"token": "hunter2"',
                                  "Authorization: Bearer hunter2", "otp_code=hunter2"])
def test_redact_text_hides_the_value(text):
    assert "hunter2" not in redact_text(text)


@pytest.mark.parametrize("text", ["status_code=404", "keyboard=1", "route=login"])
def test_redact_text_leaves_other_words(text):
    assert redact_text(text) == text


@pytest.mark.parametrize(("env", "expected"), [({"DEBUG": "off", "SECRET_KEY": "k"}, "json"),
                                               ({"DEBUG": "on"}, "plain"),
                                               ({"DEBUG": "off", "SECRET_KEY": "k", "LOG_FORMAT": "plain"}, "plain")])
def test_log_format_defaults_to_json_without_debug(env, expected):
    base = {key: value for key, value in os.environ.items() if key not in ("DEBUG", "SECRET_KEY", "LOG_FORMAT")}
    code = ("import environ\nenviron.Env.read_env = staticmethod(lambda *a, **k: None)\n"
            "from django.conf import settings\n"
            "print(settings.LOG_FORMAT, settings.LOGGING['handlers']['console']['formatter'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [expected, expected]
