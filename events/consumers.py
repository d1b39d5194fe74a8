"""`/ws/events/`: the first message authenticates, then the events the user may see arrive as JSON.

Protocol (docs/events.md):
1. The client connects; the server accepts at once.
2. Its first message must be `{"token": "<access JWT>"}` within EVENTS_AUTH_TIMEOUT (5 s). Missing,
   malformed, not an access token, expired, a user inactive or not approved, or late: the server
   closes with 4401. Tokens never go in the URL (URLs end up in access logs).
3. Then the server sends `{"type": "session.ready", "at", "data": {"user_id", "expires_at"}}` (from
   here on no event is missed) and every event the user may see as `{"type", "at", "data"}`.
4. The connection lives as long as its token: at `expires_at` the server closes with 4401, unless
   the client sent a fresh token of the same user (`{"token": ...}` again) before. Other messages
   are ignored.
5. If an event's scope cannot be checked (the database is down), the server closes with 1011: the
   client reconnects and catches up through the REST lists rather than silently missing an alert.

Each connection checks each event against its own user's scope when it arrives (events/scopes.py):
the user row (a user deactivated since is closed with 4401) and, for an event about an object, one
`visible_to(user).filter(pk=...).exists()`: two small indexed queries per event per connection.
"""

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from core.events import BROADCAST_GROUP, user_group
from events import auth, scopes

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401  # missing, wrong, expired or late token
CLOSE_NOT_FOUND = 4404  # no such WebSocket route
CLOSE_INTERNAL = 1011  # the scope of an event could not be checked: reconnect and catch up via REST
READY = "session.ready"


def _token_of(text_data):
    """The token of a `{"token": "..."}` message, or None for anything else."""
    if text_data is None or len(text_data) > auth.MAX_TOKEN_LENGTH + 64:
        return None
    try:
        message = json.loads(text_data)
    except ValueError:
        return None
    token = message.get("token") if isinstance(message, dict) else None
    return token if isinstance(token, str) and token else None


class EventsConsumer(AsyncWebsocketConsumer):
    user = None
    expires_at = None
    _first_message_seen = False
    _timers = ()

    async def connect(self):
        self._groups = []
        await self.accept()
        self._timers = [asyncio.ensure_future(self._close_unless_first_message())]

    async def _close_unless_first_message(self):
        await asyncio.sleep(settings.EVENTS_AUTH_TIMEOUT)
        if not self._first_message_seen:
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _close_at_expiry(self):
        while True:
            remaining = (self.expires_at - timezone.now()).total_seconds()
            if remaining <= 0:
                await self.close(code=CLOSE_UNAUTHENTICATED)
                return
            await asyncio.sleep(remaining)  # a refreshed token moved expires_at: look again

    async def receive(self, text_data=None, bytes_data=None):
        first = not self._first_message_seen
        self._first_message_seen = True
        token = _token_of(text_data)
        if not first and token is None:
            return  # after the token: nothing else is expected, nothing else is answered
        if token is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        result = await database_sync_to_async(auth.authenticate)(token)
        if result is None or (self.user is not None and result[0].pk != self.user.pk):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        user, expires_at = result
        self.expires_at = max(expires_at, self.expires_at or expires_at)
        if self.user is None:
            await self._start_session(user)

    async def _start_session(self, user):
        self.user = user
        for group in (BROADCAST_GROUP, user_group(user.pk)):
            await self.channel_layer.group_add(group, self.channel_name)
            self._groups.append(group)
        self._timers.append(asyncio.ensure_future(self._close_at_expiry()))
        await self._send_event({"type": READY, "at": timezone.now().isoformat(),
                                "data": {"user_id": user.pk, "expires_at": self.expires_at.isoformat()}})

    async def event_message(self, message):
        """A committed event from the channel layer (core.events.deliver)."""
        if self.user is None:
            return
        if self.expires_at <= datetime.now(UTC):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        event = message["event"]
        try:
            self.user = await database_sync_to_async(scopes.current_user)(self.user)
            allowed = self.user is not None and await database_sync_to_async(scopes.may_receive)(self.user, event)
        except Exception:
            logger.exception("event %s: the scope check failed; closing the connection (1011)", event.get("type"))
            await self.close(code=CLOSE_INTERNAL)
            return
        if self.user is None:  # deactivated or no longer approved since the token was checked
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if allowed:
            await self._send_event({"type": event["type"], "at": event["at"], "data": event["data"]})

    async def _send_event(self, payload):
        await self.send(text_data=json.dumps(payload))

    async def disconnect(self, code):
        for timer in self._timers:
            timer.cancel()
        for group in self._groups:
            with contextlib.suppress(Exception):  # a layer that is down has no membership to drop
                await self.channel_layer.group_discard(group, self.channel_name)
        self._groups = []


class NotFoundConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path: accepted and closed at once with 4404 (a client sees why)."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_NOT_FOUND)
