import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.choices import Role
from config.celery import app as celery_app
from core import cache as cache_guards
from core.cache import clear_own_keys
from core.testing import authenticated_client
from tests.factories import user_for_role

# Background tasks run inline in tests, whatever REDIS_URL says.
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters and one-time codes live in the cache: every test starts clean. Only this
    cache's own keys (its KEY_PREFIX) are deleted: cache.clear() would flush the whole Redis
    database, and with it whatever else shares that database."""
    cache_guards.reset()
    clear_own_keys(cache)
    yield
    cache_guards.reset()
    clear_own_keys(cache)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def client_for(db):
    """client_for(Role.NURSE) -> an APIClient with a fresh nurse's bearer token (client.user)."""

    def make(role_or_user, **kwargs):
        user = role_or_user if hasattr(role_or_user, "pk") else user_for_role(role_or_user, **kwargs)
        return authenticated_client(user)

    return make


@pytest.fixture
def admin_client(client_for):
    return client_for(Role.ADMIN)
