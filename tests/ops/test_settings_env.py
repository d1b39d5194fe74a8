"""Settings read from the environment, checked in a fresh interpreter (settings load once per process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COOKIE_SETTINGS = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")


def load_settings(**env):
    """The named settings as a fresh process sees them with exactly this environment (and no .env)."""
    base = {key: value for key, value in os.environ.items()
            if key not in COOKIE_SETTINGS and key not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    code = (
        "import json, environ\n"
        "environ.Env.read_env = staticmethod(lambda *a, **k: None)\n"  # a developer's .env must not leak in
        "from django.conf import settings\n"
        f"print(json.dumps({{name: getattr(settings, name) for name in {COOKIE_SETTINGS!r}}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_cookies_are_secure_by_default_when_debug_is_off():
    assert load_settings(DEBUG="off", SECRET_KEY="test-key") == {name: True for name in COOKIE_SETTINGS}


def test_cookies_are_not_secure_by_default_when_debug_is_on():
    assert load_settings(DEBUG="on") == {name: False for name in COOKIE_SETTINGS}


@pytest.mark.parametrize("name", COOKIE_SETTINGS)
def test_each_cookie_setting_can_be_turned_off_with_debug_off(name):
    # The plain-HTTP local compose stack: browsers drop Secure cookies over http://localhost.
    other = next(setting for setting in COOKIE_SETTINGS if setting != name)
    assert load_settings(DEBUG="off", SECRET_KEY="test-key", **{name: "off"}) == {name: False, other: True}


def test_cookie_settings_can_be_turned_on_with_debug_on():
    assert load_settings(DEBUG="on", SESSION_COOKIE_SECURE="on", CSRF_COOKIE_SECURE="on") == {
        name: True for name in COOKIE_SETTINGS
    }
