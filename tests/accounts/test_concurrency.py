"""Password hashing is deliberately slow (PBKDF2, ~0.4 s): it runs before the write transaction, never
inside it. On SQLite every transaction holds the one write lock from BEGIN (IMMEDIATE), so a hash inside
one made each concurrent write wait for it; 24 parallel sign-ups answered 11 x 201 and 13 x 5xx."""

import re

import pytest
from django.contrib.auth import base_user
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from accounts import otp
from accounts.choices import OtpPurpose
from core.testing import authenticated_client
from tests.devices.helpers import run_concurrently
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

NEW = "Brand-New-Secret-7"


@pytest.fixture
def hashed_inside_transaction(monkeypatch):
    """Records, for each password hashed, whether a transaction was open at that moment."""
    seen = []
    real = base_user.make_password

    def spy(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(base_user, "make_password", spy)
    return seen


def _sign_up(client, n):
    return client.post("/api/auth/register/", {"username": f"new{n}", "email": f"new{n}@example.org",
                                               "password": NEW, "first_name": "New", "last_name": f"User{n}"},
                       format="json")


def test_sign_up_hashes_the_password_outside_the_transaction(hashed_inside_transaction):
    response = _sign_up(APIClient(), 1)
    assert response.status_code == 201, response.content
    assert hashed_inside_transaction == [False]


def test_password_change_hashes_outside_the_transaction(hashed_inside_transaction):
    user = UserFactory()
    client = authenticated_client(user)
    hashed_inside_transaction.clear()  # the factory's own hash
    response = client.post(
        "/api/auth/password/change/", {"old_password": DEFAULT_PASSWORD, "new_password": NEW}, format="json")
    assert response.status_code == 200, response.content
    assert hashed_inside_transaction == [False]
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_password_reset_hashes_outside_the_transaction(hashed_inside_transaction):
    user = UserFactory()
    code = otp.issue_code(OtpPurpose.PASSWORD_RESET, user.email)
    hashed_inside_transaction.clear()  # the factory's own hash
    response = APIClient().post("/api/auth/password/reset/",
                                {"email": user.email, "code": code, "new_password": NEW}, format="json")
    assert response.status_code == 200, response.content
    assert hashed_inside_transaction == [False]
    user.refresh_from_db()
    assert user.check_password(NEW) and user.email_verified


def test_twenty_parallel_sign_ups_all_succeed():
    responses = run_concurrently(20, lambda n: _sign_up(APIClient(), n))
    assert [r.status_code for r in responses] == [201] * 20, [r.content for r in responses]
    assert len(mail.outbox) == 20 and all(re.search(r"\b\d{6}\b", m.body) for m in mail.outbox)
