"""The events app's one HTTP route, outside /api/: the `make run` relay (events/relay.py)."""

from django.urls import path

from events.relay import relay_events

urlpatterns = [
    path("", relay_events, name="events-relay"),
]
