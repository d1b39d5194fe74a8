"""The listener on a free loopback port, in a thread of the test process with its own event loop;
its worker threads open their own database connections, so the tests run with transaction=True
(committed rows: SQLite's test file and PostgreSQL alike). A client that speaks MLLP."""

import asyncio
import socket
import threading
from datetime import UTC, datetime, timedelta

import hl7
import pytest

from monitoring.hl7.server import Listener

VT, END = b"\x0b", b"\x1c\r"


class ListenerThread:
    def __init__(self, **options):
        self.listener = Listener("127.0.0.1", 0, **{"allowed": ["127.0.0.1", "::1"], "workers": 4, **options})
        self.loop = asyncio.new_event_loop()
        started = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.listener.start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10)
        self.port = self.listener.port

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.listener.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def listen(transactional_db):
    """listen(**Listener options) -> a running ListenerThread (stopped at teardown)."""
    running = []

    def start(**options):
        running.append(ListenerThread(**options))
        return running[-1]

    yield start
    for listener in running:
        listener.stop()


@pytest.fixture
def listener(listen):
    return listen()


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def send(sock, text):
    sock.sendall(VT + (text if isinstance(text, bytes) else text.encode()) + END)


def receive(sock):
    """The next ACK as an hl7.Message, or None when the listener closed the connection."""
    data = b""
    while not data.endswith(END):
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return None
        if not chunk:
            return None
        data += chunk
    assert data.startswith(VT)
    return hl7.parse(data[1:-2].decode())


def exchange(port, *messages):
    """Send each message on one connection and collect their ACKs."""
    with connect(port) as sock:
        answers = []
        for message in messages:
            send(sock, message)
            answers.append(receive(sock))
        return answers


def hl7_time(moment):
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def seconds_ago(n):
    return (datetime.now(UTC) - timedelta(seconds=n)).replace(microsecond=0)


def oru(readings, *, device="", sender="MONITOR", control_id="MSG0001", code="8867-4^Heart rate^LN",
        unit="/min^^UCUM", kind="ORU^R01^ORU_R01", obr_time="", header_time=None):
    """An ORU^R01 with one OBX per (bpm, time) reading; time None leaves OBX-14 empty."""
    header_time = hl7_time(header_time or seconds_ago(0))
    segments = [f"MSH|^~\\&|{sender}|ICU|MEDITRACK|HOSPITAL|{header_time}||{kind}|{control_id}|P|2.6",
                "PID|||MRN-1", f"OBR|1|||MONITOR|||{obr_time}"]
    for n, (bpm, moment) in enumerate(readings, 1):
        at = hl7_time(moment) if moment else ""
        segments.append(f"OBX|{n}|NM|{code}||{bpm}|{unit}|||||F|||{at}||||{device}")
    return "\r".join(segments) + "\r"


def msa(answer):
    return str(answer.segment("MSA")(1)), str(answer.segment("MSA")(2))


def err_text(answer):
    return answer.unescape(str(answer.segment("ERR")(8)))
