"""Live events: the one way a service announces something (`alert.opened`, `workorder.created`, ...).

`publish()` runs after the current transaction commits (nothing is announced for a rolled-back
write) and hands the event to the channel layer (`deliver()`); the WebSocket consumer at
`/ws/events/` (events/consumers.py) delivers it to each connected user who may see it, scoped
exactly as the REST lists: an event about an object names it (`model` label + `pk`) and reaches
the users whose role may list that model and whose `Model.objects.visible_to(user)` holds it; an
event for named users (`user_ids`, e.g. `notification.created`) reaches only them.

Groups on the channel layer: every authenticated connection joins `events` (the broadcast group:
events about an object, each connection checks its own scope) and `user.<id>` (its user's events).
Delivery is best effort: the write has committed already, so a channel layer that is down (Redis
unreachable) costs a warning in the log, never the request. docs/events.md has the protocol.
Other consumers of the same events (webhooks) register a sink (`add_sink`): it gets every committed
event too, in the process that published it.

One process publishes elsewhere: `make run`'s jobs worker without Redis (config/devserver.py). Its
in-memory layer has no clients, so `deliver()` POSTs each event to the web process's relay
(settings.EVENTS_RELAY_URL, `POST /internal/events/`, events/relay.py), which sends it to its own
layer with `send_to_layer()`, as if it had published it.
"""

import asyncio
import json
import logging
import os
import threading
import time
import urllib.request

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

BROADCAST_GROUP = "events"
# The channel layer message type: the consumer's handler is EventsConsumer.event_message.
MESSAGE_TYPE = "event.message"


def user_group(user_id):
    return f"user.{user_id}"


def publish(event_type, data, *, instance=None, user_ids=None):
    """Announce `event_type` with `data` (ids and states, never clinical free text) once the
    transaction commits. Give `instance` (the object the event is about, scoped by its model's
    visible_to) or `user_ids` (the only recipients)."""
    event = {
        "type": event_type,
        "at": timezone.now().isoformat(),
        "data": data,
        "model": instance._meta.label if instance is not None else None,
        "pk": instance.pk if instance is not None else None,
        "user_ids": sorted(user_ids) if user_ids is not None else None,
    }
    transaction.on_commit(lambda: deliver(event), robust=True)
    for sink in _sinks:
        transaction.on_commit(lambda sink=sink: sink(event), robust=True)


_sinks = []


def add_sink(sink):
    """sink(event) runs after commit for every published event (webhooks: webhooks/apps.py)."""
    if sink not in _sinks:
        _sinks.append(sink)


def groups_for(event):
    """The channel-layer groups an event goes to: its users' groups when it names users, else the
    broadcast group when it names an object, else none (an event for nobody is dropped)."""
    if event.get("user_ids") is not None:
        return [user_group(user_id) for user_id in event["user_ids"]]
    if event.get("model"):
        return [BROADCAST_GROUP]
    return []


async def _send(layer, groups, message, timeout):
    await asyncio.wait_for(asyncio.gather(*(layer.group_send(group, message) for group in groups)), timeout)


class _SenderLoop:
    """One event loop per process, in a daemon thread, for sending to a cross-process (Redis) layer:
    its connection pool lives as long as the process, where async_to_sync from a plain thread (gunicorn,
    Celery, a command) would build a loop and a Redis connection per event (measured: 2.8 ms an event,
    against 0.3 ms here). A forked child (Celery's prefork pool) starts its own."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loop = None
        self._pid = None

    def loop(self):
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(target=self._loop.run_forever, name="events-sender", daemon=True).start()
            return self._loop

    def run(self, coroutine, timeout):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop()).result(timeout)


_sender = _SenderLoop()


def _in_process(layer):
    """An in-memory layer's consumers wait on this process's server loop: it must be sent to from
    there (async_to_sync finds it from a view's thread), not from another loop."""
    from channels.layers import InMemoryChannelLayer

    return isinstance(layer, InMemoryChannelLayer)


def deliver(event):
    """Send a committed event on: to the web process's relay when this process has one (`make run`'s jobs
    worker without Redis), else to the channel layer. Never raises: a failure is logged as a warning
    (the write it announces has committed; clients catch up through the REST lists)."""
    if getattr(settings, "EVENTS_RELAY_URL", ""):
        relay(event)
    else:
        send_to_layer(event)


def send_to_layer(event):
    """Send an event to this process's channel layer (the relay view calls it too). Never raises."""
    from channels.layers import get_channel_layer  # channels is optional for code that never delivers

    try:
        # What JSON would carry: datetimes, decimals and UUIDs as strings (the Redis layer packs
        # with msgpack, which knows none of them).
        event = json.loads(json.dumps(event, cls=DjangoJSONEncoder))
        groups = groups_for(event)
        if not groups:
            logger.warning("event %s names neither an object nor users: not delivered", event.get("type"))
            return
        layer = get_channel_layer()
        if layer is None:
            return
        message, timeout = {"type": MESSAGE_TYPE, "event": event}, settings.EVENTS_SEND_TIMEOUT
        if _in_process(layer):
            async_to_sync(_send)(layer, groups, message, timeout)
        else:
            _sender.run(_send(layer, groups, message, timeout), timeout + 1)
    except Exception as exc:  # any layer failure: Redis down, hung, refusing; a message it cannot pack
        logger.warning("event %s not delivered: the channel layer failed (%s: %s)",
                       event.get("type"), type(exc).__name__, exc)


RELAY_AUTH_SCHEME = "Relay"
# The server refusing connections is, under `make run`, the server not listening yet (the worker runs its
# start-up jobs first) or runserver's reloader restarting it after a code change: a relayed event
# waits this long for it, retrying every RELAY_RETRY_SECONDS. After one such wait in vain the next
# events fail at once, until one gets through (a server that stays down costs each job no time).
RELAY_WAIT_SECONDS = 10.0
RELAY_RETRY_SECONDS = 0.25
_relay_state = {"wait": True}
# Straight to the URL: an HTTP(S)_PROXY in the developer's environment must not see (or swallow) it.
_relay_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _refused(exc):
    return isinstance(exc, ConnectionRefusedError) or isinstance(getattr(exc, "reason", None), ConnectionRefusedError)


def relay(event):
    """POST an event (JSON, `Authorization: Relay <EVENTS_RELAY_TOKEN>`) to settings.EVENTS_RELAY_URL, the
    web process's `/internal/events/`; it answers 204 once its layer has it. Each attempt is bounded by
    EVENTS_SEND_TIMEOUT; a refused connection is retried for up to RELAY_WAIT_SECONDS (above). Never
    raises: the web process down, hung or refusing the event costs a warning."""
    deadline = time.monotonic() + (RELAY_WAIT_SECONDS if _relay_state["wait"] else 0)
    while True:
        try:
            request = urllib.request.Request(  # noqa: S310 (the URL is ours: devserver's http://127.0.0.1:PORT/)
                settings.EVENTS_RELAY_URL, method="POST", data=json.dumps(event, cls=DjangoJSONEncoder).encode(),
                headers={"Content-Type": "application/json",
                         "Authorization": f"{RELAY_AUTH_SCHEME} {settings.EVENTS_RELAY_TOKEN}"})
            with _relay_opener.open(request, timeout=settings.EVENTS_SEND_TIMEOUT) as response:
                response.read()
            _relay_state["wait"] = True
            return
        except Exception as exc:  # refused (the server is not up), timed out, an HTTP error status, bad JSON
            if _refused(exc) and time.monotonic() < deadline:
                time.sleep(RELAY_RETRY_SECONDS)
                continue
            if _refused(exc):
                _relay_state["wait"] = False
            logger.warning("event %s not delivered: the relay to the web process failed (%s: %s)",
                           event.get("type"), type(exc).__name__, exc)
            return
