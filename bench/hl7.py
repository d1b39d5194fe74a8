"""HL7 benchmark: ORU^R01 messages through `manage.py hl7_listen` (MLLP over TCP) versus the same
readings posted as JSON batches to POST /api/records/ (device keys, gunicorn), in one run.

    .venv/bin/python bench/hl7.py [--connections 10] [--messages 30] [--obx 60] [--workers 8] [--processes 1]

Needs the local PostgreSQL (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432); it creates
and drops its own database `meditrack_bench_hl7`, and takes free loopback ports for its servers.
Each of the `--connections` clients has its own monitor and sends `--messages` messages of `--obx`
heart-rate OBX segments (1 Hz readings) on one connection, each waiting for its ACK (AA required);
the JSON side posts exactly the same readings, one batch per message, from as many client threads
to fresh monitors. Both servers are one process with `--workers` threads (the listener's pool;
gunicorn's gthread worker). Prints messages/s and readings/s for both, their ratio and p50/p95
latency per message.

Run it as a script from the project root. bench/ comes first on sys.path then, so `import hl7` in this
process would find this file, not python-hl7: only the listener's own process (manage.py) parses HL7,
and this script writes its frames by hand.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from common import ROOT, drop_database, free_port, fresh_database, percentile, request

DATABASE = "meditrack_bench_hl7"
VT, END = b"\x0b", b"\x1c\r"


def make_monitors(count, tag):
    from accounts.choices import Role
    from accounts.models import User
    from clinical.models import Patient
    from devices.choices import DeviceCategory
    from devices.models import Device, Hospital
    from monitoring.services import api_key_issue

    hospital = Hospital.objects.create(name=f"HL7 bench hospital {tag}")
    admin = User.objects.create(username=f"hl7-bench-{tag}", email=f"{tag}@bench.local", role=Role.ADMIN)
    monitors = []
    for n in range(count):
        patient = Patient.objects.create(first_name="Bench", last_name=f"Patient {tag}{n}")
        device = Device.objects.create(asset_number=f"HL7-{tag}-{n}", serial_number=f"SN-{tag}-{n}", name="Monitor",
                                       hospital=hospital, category=DeviceCategory.MONITOR, patient=patient)
        _key, raw = api_key_issue(device=device, by=admin)
        monitors.append((device, raw))
    return monitors


def readings_for(client, message, size, start):
    """(bpm, time) of one message: client `client`'s readings run on at 1 Hz (60-109 bpm: no alerts)."""
    first = message * size
    return [(60 + (first + i) % 50, start + timedelta(seconds=first + i)) for i in range(size)]


def oru(serial, readings, control_id):
    now = datetime.now(UTC).strftime("%Y%m%d%H%M%S+0000")
    segments = [f"MSH|^~\\&|BENCH|ICU|MEDITRACK|HOSPITAL|{now}||ORU^R01^ORU_R01|{control_id}|P|2.6", "PID|||1",
                "OBR|1|||MONITOR"]
    segments += [f"OBX|{n}|NM|8867-4^Heart rate^LN||{bpm}|/min^^UCUM|||||F|||{at:%Y%m%d%H%M%S}+0000||||{serial}"
                 for n, (bpm, at) in enumerate(readings, 1)]
    return VT + "\r".join(segments).encode() + b"\r" + END


def wait_for_line(process, prefix):
    line = process.stdout.readline()
    if not line.startswith(prefix):
        raise RuntimeError(f"hl7_listen did not start: {line!r}")


def run_hl7(port, monitors, args, start):
    frames = [[oru(device.serial_number, readings_for(index, m, args.obx, start), f"B{index}-{m}")
               for m in range(args.messages)] for index, (device, _key) in enumerate(monitors)]

    def client(index):
        latencies = []
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            for frame in frames[index]:
                began = time.perf_counter()
                sock.sendall(frame)
                data = b""
                while not data.endswith(END):
                    data += sock.recv(65536)
                latencies.append(time.perf_counter() - began)
                assert b"MSA|AA|" in data, data
        return latencies

    began = time.perf_counter()
    with ThreadPoolExecutor(args.connections) as pool:
        latencies = [x for chunk in pool.map(client, range(args.connections)) for x in chunk]
    return time.perf_counter() - began, latencies


def run_json(url, monitors, args, start):
    bodies = [[json.dumps([{"device": device.pk, "bpm": bpm, "recorded_at": at.isoformat()}
                           for bpm, at in readings_for(index, m, args.obx, start)]).encode()
               for m in range(args.messages)] for index, (device, _key) in enumerate(monitors)]

    def client(index):
        key = monitors[index][1]
        latencies = []
        for body in bodies[index]:
            began = time.perf_counter()
            status, answer = request("POST", f"{url}/api/records/", body, {"Authorization": f"Device {key}"})
            latencies.append(time.perf_counter() - began)
            assert status == 201 and answer["created"] == args.obx, answer
        return latencies

    began = time.perf_counter()
    with ThreadPoolExecutor(args.connections) as pool:
        latencies = [x for chunk in pool.map(client, range(args.connections)) for x in chunk]
    return time.perf_counter() - began, latencies


def start_gunicorn(env, port, threads):
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--worker-class", "gthread", "--threads", str(threads), "--timeout", "120", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health/", timeout=2)
            return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def stop(process):
    process.terminate()
    process.wait(timeout=20)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--messages", type=int, default=30, help="messages per connection")
    parser.add_argument("--obx", type=int, default=60, help="heart-rate OBX segments per message")
    parser.add_argument("--workers", type=int, default=8, help="threads of each server")
    parser.add_argument("--processes", type=int, default=1,
                        help="above 1: an extra HL7 round with hl7_listen --processes N (SO_REUSEPORT)")
    args = parser.parse_args()

    env = fresh_database(DATABASE)
    env["HL7_ALLOWED_SOURCES"] = "127.0.0.1"
    try:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=5)
        rounds = {"HL7 MLLP (hl7_listen)": hl7_round(env, args, start, "h", 1)}
        http_port = free_port()
        gunicorn = start_gunicorn(env, http_port, args.workers)
        try:
            rounds["JSON POST /api/records/"] = run_json(f"http://127.0.0.1:{http_port}",
                                                         make_monitors(args.connections, "j"), args, start)
        finally:
            stop(gunicorn)
        if args.processes > 1:
            rounds[f"HL7, {args.processes} processes"] = hl7_round(env, args, start, "p", args.processes)
        report(args, rounds)
    finally:
        drop_database(DATABASE)


def hl7_round(env, args, start, tag, processes):
    monitors, port = make_monitors(args.connections, tag), free_port()
    listener = subprocess.Popen(
        [sys.executable, "manage.py", "hl7_listen", "--port", str(port), "--workers", str(args.workers),
         "--processes", str(processes)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        wait_for_line(listener, "HL7 MLLP listener on")
        time.sleep(1 if processes > 1 else 0)  # the other processes bind the port
        return run_hl7(port, monitors, args, start)
    finally:
        stop(listener)


def report(args, rounds):
    from monitoring.models import Reading

    messages = args.connections * args.messages
    readings = messages * args.obx
    assert Reading.objects.count() == len(rounds) * readings
    print(f"{messages:,} messages of {args.obx} readings from {args.connections} concurrent connections "
          f"(one process with {args.workers} threads unless said, PostgreSQL; {os.cpu_count()} CPUs)")
    for name, (seconds, latencies) in rounds.items():
        print(f"{name:<25} {messages / seconds:>8,.0f} messages/s {readings / seconds:>9,.0f} readings/s  "
              f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p95 {percentile(latencies, 0.95) * 1000:.1f} ms")
    hl7_seconds, json_seconds = rounds["HL7 MLLP (hl7_listen)"][0], rounds["JSON POST /api/records/"][0]
    print(f"ratio HL7/JSON (one process each): {json_seconds / hl7_seconds:.0%}")


if __name__ == "__main__":
    main()
