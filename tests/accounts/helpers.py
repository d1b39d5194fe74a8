"""Helpers shared by the account API tests."""

STRONG = "Sturdy-Password-91"


def register_body(**overrides):
    body = {"username": "newbie", "email": "newbie@example.org", "password": STRONG,
            "first_name": "New", "last_name": "Bie"}
    body.update(overrides)
    return body


def login(api_client, **body):
    return api_client.post("/api/auth/login/", body, format="json")
