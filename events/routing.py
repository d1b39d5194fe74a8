"""The WebSocket routes (config/asgi.py mounts them): `/ws/events/`, and a clean 4404 for any other path."""

from django.urls import path, re_path

from events.consumers import EventsConsumer, NotFoundConsumer

websocket_urlpatterns = [
    path("ws/events/", EventsConsumer.as_asgi()),
    re_path(r"", NotFoundConsumer.as_asgi()),
]
