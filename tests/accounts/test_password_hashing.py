"""Passwords are stored with Argon2 (argon2-cffi), and an older hash (PBKDF2) is upgraded to Argon2
the first time its owner logs in, through the API or Django admin. (Every other test hashes with
MD5 for speed: tests/conftest.py; these put the real settings back.)"""

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client

from accounts.models import User
from config import base
from tests.accounts.helpers import STRONG, login, register_body
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _real_hashers(settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS


def algorithm(user):
    user.refresh_from_db()
    return identify_hasher(user.password).algorithm


def with_pbkdf2_hash(**traits):
    user = UserFactory(**traits)
    User.objects.filter(pk=user.pk).update(password=make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256"))
    assert algorithm(user) == "pbkdf2_sha256"
    return user


def test_argon2_is_the_first_hasher():
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_a_new_password_is_stored_as_argon2(api_client):
    response = api_client.post("/api/auth/register/", register_body(), format="json")
    assert response.status_code == 201, response.content
    user = User.objects.get(username="newbie")
    assert algorithm(user) == "argon2" and user.password.startswith("argon2$argon2id$")
    assert user.check_password(STRONG)


def test_a_pbkdf2_hash_becomes_argon2_at_the_first_api_login(api_client):
    user = with_pbkdf2_hash()
    response = login(api_client, username=user.username, password=DEFAULT_PASSWORD)
    assert response.status_code == 200, response.content
    assert algorithm(user) == "argon2"
    again = login(api_client, username=user.username, password=DEFAULT_PASSWORD)
    assert again.status_code == 200 and again.json()["access"]
    assert algorithm(user) == "argon2"


def test_a_wrong_password_leaves_the_old_hash_alone(api_client):
    user = with_pbkdf2_hash()
    stored = User.objects.get(pk=user.pk).password
    assert login(api_client, username=user.username, password="Wrong-Horse-42").status_code == 401
    user.refresh_from_db()
    assert user.password == stored


def test_a_pbkdf2_hash_becomes_argon2_at_an_admin_login():
    user = with_pbkdf2_hash(admin=True)
    response = Client().post("/admin/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content
    assert algorithm(user) == "argon2"
