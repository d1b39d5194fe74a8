import asyncio
import signal
import subprocess
import sys

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
                            help="Threads for parsing and database work, per process (default 8).")
        parser.add_argument("--processes", type=int, default=1,
                            help="Listener processes sharing the port (SO_REUSEPORT: the kernel spreads the "
                                 "connections); parsing is CPU work, so one per CPU scales it (default 1).")
        parser.add_argument("--max-message-bytes", type=int, default=MAX_MESSAGE_BYTES,
                            help=f"Largest frame accepted; a larger one closes the connection (default "
                                 f"{MAX_MESSAGE_BYTES}).")
        parser.add_argument("--idle-timeout", type=float, default=0,
                            help="Close a connection that completes no message for this many seconds (a stalled or "
                                 "half-sent frame holds its buffer); 0: never (default).")
        parser.add_argument("--reuse-port", action="store_true", help="Bind with SO_REUSEPORT (set for the "
                            "processes --processes starts).")

    def handle(self, *args, host, port, workers, processes, max_message_bytes, idle_timeout, reuse_port, **options):
        host = host or settings.HL7_MLLP_HOST
        listener = Listener(host, settings.HL7_MLLP_PORT if port is None else port,
                            allowed=settings.HL7_ALLOWED_SOURCES, workers=workers,
                            max_message_bytes=max_message_bytes, reuse_port=reuse_port or processes > 1,
                            idle_timeout=idle_timeout)
        child = [sys.executable, sys.argv[0], "hl7_listen", "--host", host, "--workers", str(workers),
                 "--max-message-bytes", str(max_message_bytes), "--idle-timeout", str(idle_timeout), "--reuse-port"]
        asyncio.run(self._run(listener, child, processes - 1))

    async def _run(self, listener, child, children):
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        port = await listener.start()
        self.stdout.write(f"HL7 MLLP listener on {listener.host}:{port}", ending="\n")
        self.stdout.flush()
        # The others bind the same port once this one holds it (so --port 0 works too).
        others = [subprocess.Popen([*child, "--port", str(port)], stdout=subprocess.DEVNULL)  # noqa: S603 (our argv)
                  for _ in range(children)]
        try:
            await stop.wait()
        finally:
            for process in others:
                process.terminate()
            await listener.stop()
            for process in others:
                process.wait(timeout=30)
