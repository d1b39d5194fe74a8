"""WebSocket tests run the real ASGI application (config.asgi) through channels' WebsocketCommunicator.

Each test is a plain (sync) pytest test that runs its async scenario with `async_to_sync`: the
consumer's database calls (database_sync_to_async) and the scenario's writes (`sync`) then run on the
test's own thread and database connection. The database is transactional (the consumer's
close_old_connections and the writes' on_commit need real commits), and the channel layer is the
configured one: in-memory without REDIS_URL, Redis with it.
"""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from config.asgi import application
from core import events

RECEIVE_TIMEOUT = 3  # seconds: an event that arrives at all arrives in milliseconds
NOTHING_TIMEOUT = 0.3  # how long "receives nothing" waits (after a later event proved delivery works)


def run(scenario):
    """Run an async scenario (a coroutine function, or a lambda returning a coroutine) from a sync test;
    the test's thread serves the scenario's sync calls."""
    async def main():
        return await scenario()

    return async_to_sync(main)()


def sync(function, *args, **kwargs):
    """Await a sync call (a write, an ORM query) from a scenario, on the test's thread."""
    return sync_to_async(function)(*args, **kwargs)


def token_for(user, lifetime=None):
    token = AccessToken.for_user(user)
    if lifetime is not None:
        token.set_exp(lifetime=lifetime)
    return str(token)


async def connect(path="/ws/events/", headers=None):
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    connected, _ = await communicator.connect(timeout=RECEIVE_TIMEOUT)
    assert connected
    return communicator


async def session(user, token=None):
    """A connection authenticated as `user`; its `session.ready` message is consumed and checked."""
    communicator = await connect()
    await communicator.send_json_to({"token": token or token_for(user)})
    ready = await communicator.receive_json_from(timeout=RECEIVE_TIMEOUT)
    assert ready["type"] == "session.ready", ready
    assert ready["data"]["user_id"] == user.pk
    return communicator


async def close_code(communicator, timeout=RECEIVE_TIMEOUT):
    """The code the server closed with (fails if it sends anything else first)."""
    message = await communicator.receive_output(timeout=timeout)
    assert message["type"] == "websocket.close", message
    # As a server does after the close handshake: the application hears the disconnect and ends.
    await communicator.disconnect(code=message.get("code") or 1000, timeout=timeout)
    return message.get("code")


async def receive_events(communicator, count, timeout=RECEIVE_TIMEOUT):
    return [await communicator.receive_json_from(timeout=timeout) for _ in range(count)]


async def event_types(communicator, timeout=NOTHING_TIMEOUT):
    """Every event that arrives until the line stays quiet for `timeout` seconds (types only)."""
    types = []
    while not await communicator.receive_nothing(timeout=timeout):
        types.append((await communicator.receive_json_from())["type"])
    return types


def flush(layer):
    """Empty the layer from the loop that sends to it (a Redis layer's flush also closes its pools)."""
    if events._in_process(layer):
        async_to_sync(layer.flush)()
    else:
        events._sender.run(layer.flush(), 10)


@pytest.fixture(autouse=True)
def _clean_channel_layer():
    """Each test starts with an empty channel layer (groups and messages of earlier tests gone)."""
    flush(get_channel_layer())
    yield
    flush(get_channel_layer())


@pytest.fixture
def expired_token_for():
    return lambda user: token_for(user, lifetime=timedelta(seconds=-1))
