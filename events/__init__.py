"""Live events over WebSocket (`/ws/events/`): the consumer, its token check and who receives what.

Publishing lives in core/events.py; this app only delivers. It imports no domain app: the models an
event names are looked up by label (`apps.get_model`). docs/events.md has the protocol.
"""
