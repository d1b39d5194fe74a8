import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from monitoring.hl7.server import MAX_MESSAGE_BYTES, Listener


class Command(BaseCommand):
    help = ("HL7 v2 listener: MLLP over TCP on HL7_MLLP_HOST:HL7_MLLP_PORT; stores the heart rates of ORU^R01 "
            "messages through the readings ingest and answers each message with an ACK (docs/hl7.md). Only "
            "HL7_ALLOWED_SOURCES are heard. Stops on SIGINT or SIGTERM.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default=None, help="Address to bind (default HL7_MLLP_HOST).")
        parser.add_argument("--port", type=int, default=None, help="Port (default HL7_MLLP_PORT; 0: any free one).")
        parser.add_argument("--workers", type=int, default=8,
                            help="Threads for parsing and database work (default 8).")
        parser.add_argument("--max-message-bytes", type=int, default=MAX_MESSAGE_BYTES,
                            help=f"Largest frame accepted; a larger one closes the connection (default "
                                 f"{MAX_MESSAGE_BYTES}).")

    def handle(self, *args, host, port, workers, max_message_bytes, **options):
        listener = Listener(host or settings.HL7_MLLP_HOST, settings.HL7_MLLP_PORT if port is None else port,
                            allowed=settings.HL7_ALLOWED_SOURCES, workers=workers,
                            max_message_bytes=max_message_bytes)
        asyncio.run(self._run(listener))

    async def _run(self, listener):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        port = await listener.start()
        self.stdout.write(f"HL7 MLLP listener on {listener.host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            await stop.wait()
        finally:
            await listener.stop()
