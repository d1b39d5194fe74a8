"""Faults: the cache (Redis) refused or hung, the database (PostgreSQL) down or restarted.

Each test points Django at a Redis or PostgreSQL it started itself (tests/core/faults.py) and
breaks only that one. Skips cleanly where redis-server or the PostgreSQL binaries are missing.
"""

import contextlib
import logging
import time

import pytest
from django.conf import settings
from django.db import close_old_connections, connections
from django.db.utils import load_backend

from accounts.choices import Role
from accounts.models import User
from config.jobs import redis_broker_options
from core.cache import clear_own_keys
from core.testing import assert_error
from tests.core.faults import PrivatePostgres, PrivateRedis, free_port
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


@pytest.fixture(scope="module")
def redis_server():
    server = PrivateRedis().start()
    yield server
    server.cleanup()


def use_redis(settings, url):
    """The default cache on the given Redis, with the production socket timeouts."""
    settings.CACHES = {"default": {"BACKEND": REDIS_CACHE, "LOCATION": url, "KEY_PREFIX": "fault",
                                   "OPTIONS": settings.REDIS_CACHE_OPTIONS}}


@pytest.fixture
def redis_refused(settings):
    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there


@contextlib.contextmanager
def paused(server):
    server.pause()
    try:
        yield
    finally:
        server.resume()


# --- Redis refused: guards degrade, the routes that need codes answer 503 ---------------------------

def test_with_redis_refused_throttled_routes_still_answer(redis_refused, api_client, client_for, caplog):
    caplog.set_level(logging.WARNING, logger="meditrack.cache")
    user = UserFactory()
    assert api_client.get("/api/").status_code == 200  # anonymous throttle
    login = api_client.post("/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD},
                            format="json")
    assert login.status_code == 200 and login.json()["access"]  # login counters degrade
    wrong = api_client.post("/api/auth/login/", {"username": user.username, "password": "nope"}, format="json")
    assert_error(wrong, 401, "invalid_credentials")
    nurse = client_for(Role.NURSE)
    assert nurse.get("/api/auth/profile/").json()["id"] == nurse.user.id  # user throttle
    assert nurse.get("/api/devices/").status_code == 200
    assert any("cache unavailable" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("path", "body"), [
    ("/api/auth/otp/request/", {"email": "someone@example.org", "purpose": "password_reset"}),
    ("/api/auth/password/reset/", {"email": "someone@example.org", "code": "123456", "new_password": "X-new-91a"}),
    ("/api/auth/email/verify/", {"email": "someone@example.org", "code": "123456"}),
])
def test_with_redis_refused_code_routes_answer_503(redis_refused, api_client, path, body):
    UserFactory(email="someone@example.org")
    response = api_client.post(path, body, format="json")
    assert_error(response, 503, "service_unavailable", fields=["cache"])


def test_with_redis_refused_an_invitation_is_503_and_nothing_is_stored(redis_refused, admin_client):
    body = {"username": "invitee", "email": "invitee@example.org", "role": "nurse"}
    assert_error(admin_client.post("/api/users/", body, format="json"), 503, "service_unavailable")
    assert not User.objects.filter(username="invitee").exists()


def test_with_redis_refused_a_sign_up_is_503_and_nothing_is_stored(redis_refused, api_client):
    body = {"username": "newbie", "email": "newbie@example.org", "password": "Sturdy-Password-91",
            "first_name": "New", "last_name": "Bie"}
    assert_error(api_client.post("/api/auth/register/", body, format="json"), 503, "service_unavailable",
                 fields=["cache"])
    assert not User.objects.filter(username="newbie").exists()


def test_with_redis_refused_health_names_the_cache(redis_refused, api_client):
    body = assert_error(api_client.get("/api/health/"), 503, "service_unavailable", fields=["cache"])
    assert body["cache"] == "down" and body["database"] == "ok"


# --- Redis hung (SIGSTOP): every call gives up after the socket timeout ------------------------------

def test_with_redis_hung_health_answers_503_within_two_seconds(settings, redis_server, api_client):
    use_redis(settings, redis_server.url)
    assert api_client.get("/api/health/").status_code == 200
    with paused(redis_server):
        started = time.monotonic()
        response = api_client.get("/api/health/")
        elapsed = time.monotonic() - started
        body = assert_error(response, 503, "service_unavailable", fields=["cache"])
        assert body["cache"] == "down"
        assert elapsed < 2.5, elapsed
        started = time.monotonic()
        assert api_client.get("/api/").status_code == 200  # the throttles degrade, bounded too
        assert time.monotonic() - started < 1.8  # one timeout, then both throttles skip the cache
        started = time.monotonic()
        assert api_client.get("/api/").status_code == 200
        assert time.monotonic() - started < 0.5  # the next requests do not wait at all
    assert api_client.get("/api/health/").json() == {"database": "ok", "cache": "ok"}  # recovers by itself


def test_with_the_broker_hung_queuing_a_task_fails_within_seconds(redis_server):
    from kombu.exceptions import OperationalError as KombuOperationalError

    from accounts.tasks import send_email
    from config.celery import app

    # The options settings give a Redis broker (without REDIS_URL the suite's own broker is memory://).
    options = redis_broker_options(settings.REDIS_SOCKET_TIMEOUT)
    app.conf.task_always_eager = False
    try:
        with paused(redis_server), app.connection_for_write(redis_server.url, transport_options=options) as connection:
            started = time.monotonic()
            with pytest.raises((KombuOperationalError, OSError)):
                send_email.apply_async(("s", "b", ["x@example.org"]), connection=connection)
            assert time.monotonic() - started < 6
    finally:
        app.conf.task_always_eager = True


# --- the test suite's own cache cleaning keeps other keys ---------------------------------------------

def test_cleaning_the_test_cache_deletes_only_its_own_prefix(redis_server):
    from django.core.cache.backends.redis import RedisCache

    ours = RedisCache(redis_server.url, {"KEY_PREFIX": "suite"})
    ours.set("otp:code", "hashed", 60)
    raw = ours._cache.get_client(write=True)
    raw.set("someone-else:session", "keep me")
    raw.set("suiteX:1:look-alike", "keep me too")
    clear_own_keys(ours)
    assert ours.get("otp:code") is None
    assert raw.get("someone-else:session") == b"keep me"
    assert raw.get("suiteX:1:look-alike") == b"keep me too"
    raw.delete("someone-else:session", "suiteX:1:look-alike")


# --- PostgreSQL down, and restarted -------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres_server():
    server = PrivatePostgres().start()
    yield server
    server.cleanup()


@contextlib.contextmanager
def default_database(settings, settings_dict):
    """Swap the default connection for one to the given server, with the project's connection
    settings (CONN_MAX_AGE, CONN_HEALTH_CHECKS)."""
    configured = {
        **settings_dict,
        "CONN_MAX_AGE": settings.DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": settings.DATABASES["default"].get("CONN_HEALTH_CHECKS", False),
    }
    configured = connections.configure_settings({"default": configured})["default"]
    original = connections["default"]
    wrapper = load_backend(configured["ENGINE"]).DatabaseWrapper(configured, "default")
    connections["default"] = wrapper
    try:
        yield wrapper
    finally:
        with contextlib.suppress(Exception):
            wrapper.close()
        connections["default"] = original


def test_after_a_postgres_restart_the_first_request_succeeds(settings, postgres_server, api_client):
    with default_database(settings, postgres_server.settings_dict) as wrapper:
        close_old_connections()  # what every real request starts with (the test client skips it)
        assert api_client.get("/api/health/").json()["database"] == "ok"
        assert wrapper.connection is not None  # kept open for the next request (CONN_MAX_AGE)
        postgres_server.restart()
        close_old_connections()
        response = api_client.get("/api/health/")
        assert response.status_code == 200, response.content
        assert response.json()["database"] == "ok"


def test_with_postgres_down_routes_answer_json_503(settings, postgres_server, api_client, client_for):
    nurse = client_for(Role.NURSE)  # its token is made while the real database is up
    postgres_server.stop()
    with default_database(settings, postgres_server.settings_dict):
        for response in (
            api_client.get("/api/health/"),
            api_client.post("/api/auth/login/", {"username": "u", "password": "p"}, format="json"),
            nurse.get("/api/devices/"),
            nurse.get("/api/auth/profile/"),
        ):
            assert response["Content-Type"].startswith("application/json")
            assert_error(response, 503, "service_unavailable", fields=["database"])
    postgres_server.start()


def test_a_database_failure_outside_drf_is_json_503_too(rf):
    from django.db import OperationalError

    from core.views import handler500

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = handler500(rf.get("/api/devices/"))
    assert response.status_code == 503
    assert b'"service_unavailable"' in response.content
