"""manage.py hl7_listen as operators run it: a process of its own on the test database, answering
over TCP, stopped by SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from monitoring.models import Reading
from tests.factories.monitoring import monitored_patient
from tests.hl7.conftest import exchange, msa, oru, seconds_ago

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}"


@pytest.mark.parametrize("processes", [1, 2])
def test_the_command_listens_stores_and_stops_on_sigterm(processes):
    monitors = [monitored_patient()[1] for _ in range(6)]
    env = {**os.environ, "DATABASE_URL": database_url(), "HL7_ALLOWED_SOURCES": "127.0.0.1"}
    process = subprocess.Popen([sys.executable, "manage.py", "hl7_listen", "--port", "0", "--workers", "2",
                                "--processes", str(processes)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith("HL7 MLLP listener on 127.0.0.1:"), line + process.stderr.read()
        port = int(line.rsplit(":", 1)[1])
        time.sleep(0.5 * (processes - 1))  # the second process binds the same port (SO_REUSEPORT)
        for n, monitor in enumerate(monitors):  # one connection each: the kernel spreads them
            (answer,) = exchange(port, oru([(71, seconds_ago(3))], device=monitor.serial_number, control_id=f"C-{n}"))
            assert msa(answer) == ("AA", f"C-{n}")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert Reading.objects.filter(device__in=monitors, bpm=71).count() == 6
    with pytest.raises(ConnectionRefusedError):  # every process has stopped
        socket.create_connection(("127.0.0.1", port), timeout=2)
