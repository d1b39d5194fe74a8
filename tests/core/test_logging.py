"""One log line per request (issue 9): Django's own handlers must not repeat what the root handler
prints, and an error we log ourselves is not logged again by django.request."""

import logging

import pytest
from django.conf import settings as django_settings
from django.utils.log import configure_logging

from accounts.choices import Role
from core import views as core_views
from core.testing import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def emitted(monkeypatch, settings):
    """Every record the project's logging configuration would write (pytest's own handlers aside),
    with DEBUG on, as under `make run`."""
    settings.DEBUG = True
    configure_logging(django_settings.LOGGING_CONFIG, django_settings.LOGGING)
    lines = []

    def emit(handler, record):
        if not type(handler).__module__.startswith("_pytest"):
            lines.append(record)

    monkeypatch.setattr(logging.StreamHandler, "emit", emit)
    yield lines
    configure_logging(django_settings.LOGGING_CONFIG, django_settings.LOGGING)


def _requests(client_for, api_client):
    nurse = client_for(Role.NURSE)
    return {
        "400": lambda: api_client.post("/api/auth/login/", {}, format="json"),
        "401": lambda: api_client.get("/api/auth/profile/"),
        "403": lambda: nurse.get("/api/users/"),
        "404": lambda: api_client.get("/api/no-such-route/"),
    }


@pytest.mark.parametrize("status", ["400", "401", "403", "404"])
def test_each_failed_api_request_is_one_line(emitted, client_for, api_client, status):
    response = _requests(client_for, api_client)[status]()
    assert response.status_code == int(status)
    assert len(emitted) == 1, [r.getMessage() for r in emitted]
    assert emitted[0].name == "django.request" and emitted[0].request_id == response["X-Request-ID"]


def test_django_admin_403_is_one_line_without_a_traceback(emitted, client):
    staff = UserFactory(role=Role.NURSE, is_staff=True)  # staff without model permissions
    client.force_login(staff)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 403
    assert len(emitted) == 1, [r.getMessage() for r in emitted]
    assert emitted[0].exc_info is None and "Forbidden" in emitted[0].getMessage()


def test_unexpected_error_is_one_line_with_its_traceback(emitted, api_client, monkeypatch):
    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(core_views.ApiIndexView, "get", explode)
    api_client.raise_request_exception = False
    response = api_client.get("/api/", HTTP_X_REQUEST_ID="one-line-500")
    assert_error(response, 500, "server_error")
    assert len(emitted) == 1, [r.getMessage() for r in emitted]
    record = emitted[0]
    assert record.levelno == logging.ERROR and record.exc_info and record.exc_info[0] is RuntimeError
    assert record.request_id == "one-line-500"


def test_unexpected_error_is_one_caplog_record(api_client, monkeypatch, caplog):
    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(core_views.ApiIndexView, "get", explode)
    api_client.raise_request_exception = False
    caplog.set_level(logging.INFO)
    api_client.get("/api/")
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1, caplog.text


def test_service_unavailable_is_one_line_naming_the_cause(emitted, api_client, monkeypatch):
    from django.db import OperationalError

    def down(self, request):
        raise OperationalError("connection refused")

    monkeypatch.setattr(core_views.ApiIndexView, "get", down)
    assert_error(api_client.get("/api/"), 503, "service_unavailable")
    assert len(emitted) == 1, [r.getMessage() for r in emitted]
    assert "connection refused" in emitted[0].getMessage()


def test_unexpected_error_with_debug_on_is_the_json_500_not_a_traceback_page(api_client, monkeypatch, settings):
    settings.DEBUG = True

    def explode(self, request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(core_views.ApiIndexView, "get", explode)
    api_client.raise_request_exception = False
    response = api_client.get("/api/")
    assert response["Content-Type"] == "application/json"
    assert_error(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
