"""`/ws/events/`: the first message authenticates within 5 s, else 4401; the token lives in no URL;
the connection lasts as long as its token; unknown paths and foreign origins are refused."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.choices import ApprovalStatus, Role
from config.asgi import application
from tests.events.conftest import (
    RECEIVE_TIMEOUT,
    close_code,
    connect,
    event_types,
    run,
    session,
    sync,
    token_for,
)
from tests.factories import user_for_role

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_valid_access_token_opens_a_session_that_says_who_and_until_when():
    nurse = user_for_role(Role.NURSE)
    token = token_for(nurse)

    async def scenario():
        communicator = await connect()
        await communicator.send_json_to({"token": token})
        ready = await communicator.receive_json_from(timeout=RECEIVE_TIMEOUT)
        await communicator.disconnect()
        return ready

    ready = run(scenario)
    assert set(ready) == {"type", "at", "data"}
    assert ready["type"] == "session.ready"
    assert ready["data"]["user_id"] == nurse.pk
    expected = datetime.fromtimestamp(AccessToken(token)["exp"], tz=UTC)
    assert datetime.fromisoformat(ready["data"]["expires_at"]) == expected


def _refused(first_message):
    """The close code for a connection whose first frame is `first_message` (text, or bytes)."""
    async def scenario():
        communicator = await connect()
        if isinstance(first_message, bytes):
            await communicator.send_to(bytes_data=first_message)
        else:
            await communicator.send_to(text_data=first_message)
        return await close_code(communicator)

    return run(scenario)


@pytest.mark.parametrize("message", [
    "not json", "[]", '"a string"', "{}", '{"token": ""}', '{"token": 42}', '{"token": null}',
    '{"access": "x"}', '{"token": "not.a.jwt"}', json.dumps({"token": "x" * 10_000}),
], ids=["text", "list", "string", "no-token", "empty", "number", "null", "other-key", "garbage", "huge"])
def test_a_malformed_first_message_is_closed_with_4401(message):
    assert _refused(message) == 4401


def test_a_binary_first_message_is_closed_with_4401():
    assert _refused(b'{"token": "x"}') == 4401


def test_wrong_tokens_are_closed_with_4401(expired_token_for):
    nurse = user_for_role(Role.NURSE)
    valid = token_for(nurse)
    header, payload, signature = valid.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    refresh = str(RefreshToken.for_user(nurse))  # a refresh token is no access token
    # The same claims signed with another key (another installation's token).
    foreign = jwt.encode(AccessToken(valid).payload, "another-installations-signing-key-0123456789", algorithm="HS256")
    for token in (tampered, refresh, expired_token_for(nurse), foreign):
        assert _refused(json.dumps({"token": token})) == 4401, token
    # The same user's valid token is accepted (the refusals above are about the tokens).
    assert run(lambda: _ready_then_close(nurse, valid)) == "session.ready"


async def _ready_then_close(user, token):
    communicator = await session(user, token)
    await communicator.disconnect()
    return "session.ready"


@pytest.mark.parametrize("change", [
    {"is_active": False},
    {"approval_status": ApprovalStatus.PENDING},
    {"approval_status": ApprovalStatus.REJECTED},
    "deleted",
], ids=["inactive", "pending", "rejected", "deleted"])
def test_a_token_of_a_user_who_may_no_longer_sign_in_is_closed_with_4401(change):
    user = user_for_role(Role.NURSE)
    token = token_for(user)
    if change == "deleted":
        user.delete()
    else:
        type(user).objects.filter(pk=user.pk).update(**change)
    assert _refused(json.dumps({"token": token})) == 4401


def test_no_first_message_within_the_timeout_is_closed_with_4401(settings):
    settings.EVENTS_AUTH_TIMEOUT = 0.2

    async def scenario():
        communicator = await connect()
        assert await communicator.receive_nothing(timeout=0.1)  # still open before the deadline
        return await close_code(communicator, timeout=2)

    assert run(scenario) == 4401


def test_the_default_timeout_is_the_contracts_five_seconds(settings):
    assert settings.EVENTS_AUTH_TIMEOUT == 5


def test_a_token_in_the_query_string_is_not_accepted(settings):
    settings.EVENTS_AUTH_TIMEOUT = 0.3
    nurse = user_for_role(Role.NURSE)

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/events/?token={token_for(nurse)}")
        connected, _ = await communicator.connect()
        assert connected
        return await close_code(communicator, timeout=2)

    assert run(scenario) == 4401


def test_a_first_message_just_inside_the_timeout_is_accepted(settings):
    settings.EVENTS_AUTH_TIMEOUT = 0.5
    nurse = user_for_role(Role.NURSE)

    async def scenario():
        communicator = await connect()
        await asyncio.sleep(0.3)
        await communicator.send_json_to({"token": token_for(nurse)})
        ready = await communicator.receive_json_from(timeout=RECEIVE_TIMEOUT)
        assert await communicator.receive_nothing(timeout=0.5)  # the auth deadline no longer applies
        await communicator.disconnect()
        return ready["type"]

    assert run(scenario) == "session.ready"


def test_the_connection_closes_with_4401_when_its_token_expires():
    nurse = user_for_role(Role.NURSE)

    async def scenario():
        communicator = await session(nurse, token_for(nurse, lifetime=timedelta(seconds=1)))
        return await close_code(communicator, timeout=4)

    assert run(scenario) == 4401


def test_a_fresh_token_of_the_same_user_extends_the_session():
    nurse = user_for_role(Role.NURSE)

    async def scenario():
        communicator = await session(nurse, token_for(nurse, lifetime=timedelta(seconds=1)))
        await communicator.send_json_to({"token": token_for(nurse)})  # 30 minutes
        quiet = await communicator.receive_nothing(timeout=2)  # past the first token's expiry
        await communicator.disconnect()
        return quiet

    assert run(scenario) is True


def test_another_users_token_or_a_bad_one_later_in_the_session_closes_it_with_4401(expired_token_for):
    nurse, other = user_for_role(Role.NURSE), user_for_role(Role.NURSE)

    async def scenario(token):
        communicator = await session(nurse)
        await communicator.send_json_to({"token": token})
        return await close_code(communicator)

    assert run(lambda: scenario(token_for(other))) == 4401
    assert run(lambda: scenario(expired_token_for(nurse))) == 4401


def test_other_messages_after_the_token_are_ignored():
    from core.events import publish
    from tests.factories.equipment import DeviceFactory

    nurse = user_for_role(Role.NURSE)
    device = DeviceFactory(assigned_nurses=[nurse])

    async def scenario():
        communicator = await session(nurse)
        for text in ("hello", "[]", '{"type": "ping"}'):
            await communicator.send_to(text_data=text)
        await communicator.send_to(bytes_data=b"\x00")
        await sync(lambda: publish("device.online", {"id": device.pk}, instance=device))
        types = await event_types(communicator)
        await communicator.disconnect()
        return types

    assert run(scenario) == ["device.online"]  # nothing answered the chatter; the session still works


@pytest.mark.parametrize("path", ["/ws/", "/ws/events", "/ws/other/", "/ws/events/extra/", "/api/"])
def test_unknown_websocket_paths_close_cleanly_with_4404(path):
    async def scenario():
        communicator = WebsocketCommunicator(application, path)
        connected, _ = await communicator.connect(timeout=RECEIVE_TIMEOUT)
        return connected, await close_code(communicator)

    assert run(scenario) == (True, 4404)


@pytest.mark.parametrize("origin, accepted", [
    (None, True),  # a native client, a script: no Origin header
    ("http://localhost:8000", True),  # a page of the API's own host (ALLOWED_HOSTS), any port
    ("https://127.0.0.1", True),
    ("http://localhost:5173", True),  # CORS_ALLOWED_ORIGINS (the SPA in development)
    ("https://evil.example", False),
    ("http://localhost.evil.example", False),
    ("null", False),
])
def test_browser_origins_are_those_the_rest_api_allows(origin, accepted):
    async def scenario():
        headers = [(b"origin", origin.encode())] if origin else []
        communicator = WebsocketCommunicator(application, "/ws/events/", headers=headers)
        connected, _ = await communicator.connect(timeout=RECEIVE_TIMEOUT)
        await communicator.disconnect()
        return connected

    assert run(scenario) is accepted


