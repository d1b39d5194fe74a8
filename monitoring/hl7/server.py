"""The MLLP listener: python-hl7's asyncio server and MLLP stream reader/writer, an allow-list of
source addresses checked before anything is read, a size limit per frame, and a thread pool for the
parsing and the database work (monitoring.hl7.handler) so one slow write never stalls the others.

A connection carries any number of messages, each answered in order. A block that is too large or
badly framed cannot be answered (the framing is lost): the connection is closed and one line
logged. Nothing a client sends stops the listener."""

import asyncio
import ipaddress
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from hl7.mllp import InvalidBlockError, start_hl7_server

from monitoring.hl7.handler import answer_in_thread

logger = logging.getLogger("monitoring.hl7")

MAX_MESSAGE_BYTES = 1024 * 1024


def allowed_networks(entries):
    """HL7_ALLOWED_SOURCES' entries (addresses or networks such as 10.1.0.0/16) as networks."""
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())
    except ValueError as exc:
        raise ImproperlyConfigured(f"HL7_ALLOWED_SOURCES: {exc}") from exc


def source_allowed(address, networks):
    """Is this peer address in the allow-list? (An IPv4-mapped IPv6 address counts as its IPv4.)"""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except (ValueError, AttributeError):
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip
    return any(ip in network for network in networks)


class Listener:
    def __init__(self, host, port, *, allowed, workers=8, max_message_bytes=MAX_MESSAGE_BYTES, reuse_port=False,
                 idle_timeout=None):
        self.host, self.port, self.workers, self.reuse_port = host, port, workers, reuse_port
        self.idle_timeout = idle_timeout or None  # seconds without a complete message before closing
        self.networks = allowed_networks(allowed)
        self.limit = max_message_bytes
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="hl7")
        self.server = None

    async def start(self):
        """Bind and start accepting; answers the port (useful with port 0)."""
        self.server = await start_hl7_server(self._connected, self.host, self.port, limit=self.limit,
                                             reuse_port=self.reuse_port or None)
        self.port = self.server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()
        await asyncio.get_running_loop().run_in_executor(None, self.close_database_connections)

    def close_database_connections(self):
        """Each worker thread closes its own database connection, then the pool ends."""
        barrier = threading.Barrier(self.workers)

        def close():
            barrier.wait(timeout=10)  # one task per thread: every thread holds one until all do
            connections.close_all()

        for future in [self.pool.submit(close) for _ in range(self.workers)]:
            future.result()
        self.pool.shutdown()

    async def _connected(self, reader, writer):
        peer = writer.get_extra_info("peername") or ("?", 0)
        if not source_allowed(peer[0], self.networks):
            logger.warning("HL7 connection from %s refused: not in HL7_ALLOWED_SOURCES", peer[0])
            writer.transport.abort()
            return
        loop = asyncio.get_running_loop()
        try:
            while True:
                block = await self._read(reader, peer)
                if block is None:
                    break
                reply = await loop.run_in_executor(self.pool, answer_in_thread, block, peer[0])
                writer.writeblock(reply)
                await writer.drain()
        except ConnectionError:
            pass  # the sender went away; its unanswered message is its to resend
        except Exception:  # a bug answering one message must not stop the listener
            logger.exception("HL7 connection from %s closed: unexpected error", peer[0])
        finally:
            writer.close()

    async def _read(self, reader, peer):
        """The next block, or None when the connection should close (end of stream, a frame too large
        or badly framed: after those the stream's framing is lost; idle for idle_timeout seconds)."""
        try:
            return await asyncio.wait_for(reader.readblock(), self.idle_timeout)
        except TimeoutError:
            logger.info("HL7 connection from %s closed: no complete message for %s s", peer[0], self.idle_timeout)
        except asyncio.IncompleteReadError as exc:
            if exc.partial.strip():
                logger.warning("HL7 connection from %s closed: incomplete frame (%d bytes, no end block)",
                               peer[0], len(exc.partial))
        except ValueError:
            logger.warning("HL7 connection from %s closed: frame larger than %d bytes", peer[0], self.limit)
        except InvalidBlockError:
            logger.warning("HL7 connection from %s closed: frame does not start with <VT> (not MLLP)", peer[0])
        return None

