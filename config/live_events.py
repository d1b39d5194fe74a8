"""The channel layer that carries committed events to the WebSocket consumers (docs/events.md): the
constant part of config/settings.py's "Live events"."""


def channel_layers(redis_url, *, socket_timeout, prefix):
    """Redis, shared by every process, with REDIS_URL; else in-process memory."""
    if not redis_url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # socket_timeout stays above the layer's 5 s blocking read (BRPOP); a send is bounded
                # by EVENTS_SEND_TIMEOUT instead.
                "hosts": [{"address": redis_url, "socket_connect_timeout": socket_timeout,
                           "socket_timeout": 5 + 2 * socket_timeout}],
                "prefix": prefix + ":asgi",
                # A connection stays in its groups at most as long as its token lives (the consumer
                # closes at expiry); the default day is ample.
                "group_expiry": 86400,
            },
        }
    }
