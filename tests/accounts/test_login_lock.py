"""One failed-login lock for both doors: POST /api/auth/login/ and Django admin's login."""

import pytest
from django.test import Client

from core.testing import assert_error
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed logins"


def api_login(api_client, identifier, password):
    return api_client.post("/api/auth/login/", {"username": identifier, "password": password}, format="json")


def admin_login(identifier, password):
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": identifier, "password": password})
    return client, response


def logged_in(client):
    return "_auth_user_id" in client.session


def test_an_account_locked_by_the_api_is_refused_by_django_admin_even_with_the_right_password(api_client,
                                                                                             settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    admin = UserFactory(admin=True, is_superuser=True)
    for _ in range(3):
        assert_error(api_login(api_client, admin.username, "wrong"), 401, "invalid_credentials")
    assert_error(api_login(api_client, admin.username, DEFAULT_PASSWORD), 429, "throttled")
    client, response = admin_login(admin.username, DEFAULT_PASSWORD)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert not logged_in(client)


def test_wrong_passwords_on_django_admin_count_towards_the_api_lock(api_client, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    admin = UserFactory(admin=True, is_superuser=True)
    for identifier in (admin.username, admin.email, admin.username):  # username and email: one counter
        client, response = admin_login(identifier, "wrong")
        assert not logged_in(client) and LOCKED not in response.content.decode()
    response = api_login(api_client, admin.username, DEFAULT_PASSWORD)
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    client, response = admin_login(admin.username, DEFAULT_PASSWORD)
    assert LOCKED in response.content.decode() and not logged_in(client)


def test_the_address_lock_holds_on_django_admin_too(api_client, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        admin_login(f"ghost{n}", "wrong")
    admin = UserFactory(admin=True, is_superuser=True)
    assert_error(api_login(api_client, admin.username, DEFAULT_PASSWORD), 429)
    client, response = admin_login(admin.username, DEFAULT_PASSWORD)
    assert LOCKED in response.content.decode() and not logged_in(client)


def test_django_admin_login_still_works_and_clears_the_account_counter(api_client, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    admin = UserFactory(admin=True, is_superuser=True)
    for _ in range(2):
        admin_login(admin.username, "wrong")
    client, response = admin_login(admin.username, DEFAULT_PASSWORD)
    assert response.status_code == 302 and logged_in(client)
    for _ in range(2):  # the window starts again: two more failures do not lock
        api_login(api_client, admin.username, "wrong")
    assert api_login(api_client, admin.username, DEFAULT_PASSWORD).status_code == 200


def test_an_inactive_account_with_the_right_password_is_refused_without_counting(settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 1
    admin = UserFactory(admin=True, is_superuser=True, is_active=False)
    for _ in range(2):
        client, response = admin_login(admin.username, DEFAULT_PASSWORD)
        assert not logged_in(client) and LOCKED not in response.content.decode()
