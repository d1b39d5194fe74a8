"""Strings that no UTF-8 encoder accepts (a lone surrogate, escaped in JSON) are refused where they
enter, by the JSON parser: a 400 on every route, never a 500 from the cache, database or response."""

import pytest

from accounts.models import User
from core.testing import assert_error

pytestmark = pytest.mark.django_db


def post_raw(client, path, body):
    return client.post(path, data=body, content_type="application/json")


@pytest.mark.parametrize(("path", "body"), [
    ("/api/auth/otp/request/", '{"email": "ab\\ud800cd@example.org", "purpose": "password_reset"}'),
    ("/api/auth/login/", '{"username": "x\\udfffy", "password": "p"}'),
    ("/api/auth/register/", '{"username": "newbie", "email": "n@example.org", "password": "Sturdy-Password-91",'
                            ' "first_name": "\\ud83d", "last_name": "B"}'),
])
def test_a_lone_surrogate_is_a_400_parse_error(api_client, path, body):
    body = assert_error(post_raw(api_client, path, body), 400, "parse_error")
    assert "surrogate" in body["message"]
    assert not User.objects.filter(username="newbie").exists()


def test_a_surrogate_pair_is_ordinary_text(api_client):
    body = ('{"username": "newbie", "email": "n@example.org", "password": "Sturdy-Password-91",'
            ' "first_name": "Smile \\ud83d\\ude00", "last_name": "B"}')
    response = post_raw(api_client, "/api/auth/register/", body)
    assert response.status_code == 201, response.content
    assert User.objects.get(username="newbie").first_name == "Smile \U0001F600"
