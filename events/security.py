"""Which browser pages may open the WebSocket: the same ones that may call the REST API.

Authentication is the token in the first message, never a cookie, so a page on another site cannot
ride on a user's session (the cross-site WebSocket hijacking an Origin check usually guards
against). The check keeps the socket's policy equal to the API's: a page served from one of
ALLOWED_HOSTS (any scheme and port), or from an origin in CORS_ALLOWED_ORIGINS (a bedside app or
SPA on another origin: add it there, as for the REST API). A client that sends no Origin header at
all (a native app, a script, a bedside device) is not a browser page and is let in. A refused origin
gets the handshake refused (HTTP 403), before any message.
"""

from channels.security.websocket import OriginValidator
from django.conf import settings


def allowed_origins():
    return [*settings.ALLOWED_HOSTS, *settings.CORS_ALLOWED_ORIGINS]


class SameAsApiOriginValidator(OriginValidator):
    def __init__(self, application):
        super().__init__(application, allowed_origins())

    def valid_origin(self, parsed_origin):
        if parsed_origin is None:
            return True  # no Origin header: not a browser page
        return self.validate_origin(parsed_origin)
