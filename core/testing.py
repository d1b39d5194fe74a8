"""Helpers shared by every app's tests."""

from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def authenticated_client(user):
    """An APIClient sending the user's bearer token (the client remembers `.user`)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    client.user = user
    return client


def assert_error(response, status_code, code=None, fields=()):
    """The one error shape, with the expected status, code and the fields named."""
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) >= {"status", "code", "message", "errors"}, body
    assert body["status"] == "error"
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    if code is not None:
        assert body["code"] == code, body
    for field in fields:
        assert field in body["errors"], body
    return body
