"""The ASGI application: HTTP (the whole Django site: API, Swagger UI, admin) and WebSocket
(`/ws/events/`, live events) served by the same process, on the same port.

`make run` serves it through `manage.py runserver` (daphne is first in INSTALLED_APPS, so its
runserver is the ASGI one); docker compose's web runs daphne. docs/events.md has the deployment.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
http_application = get_asgi_application()  # sets Django up: the imports below need the app registry

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from events.routing import websocket_urlpatterns  # noqa: E402
from events.security import SameAsApiOriginValidator  # noqa: E402

application = ProtocolTypeRouter({
    "http": http_application,
    "websocket": SameAsApiOriginValidator(URLRouter(websocket_urlpatterns)),
})
