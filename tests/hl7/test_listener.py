"""The listener over a real TCP socket: ORU^R01 in, readings stored through the ingest, ACKs out."""

import contextlib
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import REGISTRY

from devices.choices import DeviceStatus
from monitoring.choices import AlertKind
from monitoring.models import Alert, Reading
from tests.factories.equipment import DeviceFactory
from tests.factories.monitoring import monitored_patient
from tests.hl7.conftest import connect, err_text, exchange, msa, oru, receive, seconds_ago, send

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def monitor():
    _patient, monitor = monitored_patient()
    return monitor


def stored(monitor):
    return sorted(Reading.objects.filter(device=monitor).values_list("bpm", "recorded_at", "patient_id"))


def test_an_oru_is_stored_through_the_ingest_and_answered_aa(listener, monitor):
    times = [seconds_ago(30), seconds_ago(29)]
    (answer,) = exchange(listener.port, oru([(72, times[0]), (75, times[1])], device=monitor.serial_number,
                                            control_id="CTRL-42"))
    assert msa(answer) == ("AA", "CTRL-42")
    msh = answer.segment("MSH")
    assert str(msh(9)) == "ACK^R01^ACK"
    # Sending and receiving application and facility swapped.
    assert [str(msh(n)) for n in (3, 4, 5, 6)] == ["MEDITRACK", "HOSPITAL", "MONITOR", "ICU"]
    assert "ERR" not in str(answer)
    assert stored(monitor) == [(72, times[0], monitor.patient_id), (75, times[1], monitor.patient_id)]


def test_the_device_is_msh3_when_obx18_is_empty_and_matches_an_asset_number(listener, monitor):
    (answer,) = exchange(listener.port, oru([(80, seconds_ago(5))], sender=monitor.asset_number))
    assert msa(answer)[0] == "AA"
    assert [bpm for bpm, _at, _p in stored(monitor)] == [80]


def test_mdc_code_beats_units_obr_time_and_other_observations_ignored(listener, monitor):
    at = seconds_ago(60)
    message = oru([(66, None)], device=monitor.serial_number, code="147842^MDC_ECG_HEART_RATE^MDC",
                  unit="{beats}/min^^UCUM", obr_time=at.strftime("%Y%m%d%H%M%S+0000"))
    message += f"OBX|2|NM|59408-5^SpO2^LN||97|%|||||F||||||{monitor.serial_number}\r"
    (answer,) = exchange(listener.port, message)
    assert msa(answer)[0] == "AA"
    assert stored(monitor) == [(66, at, monitor.patient_id)]


def test_a_repeated_message_is_aa_and_stored_once(listener, monitor):
    message = oru([(70, seconds_ago(20)), (70, seconds_ago(20))], device=monitor.serial_number)
    answers = exchange(listener.port, message, message)
    assert [msa(a)[0] for a in answers] == ["AA", "AA"]
    assert len(stored(monitor)) == 1


def test_a_sustained_breach_opens_an_alert_as_json_ingest_does(listener, monitor):
    readings = [(140 + n, seconds_ago(10 - n)) for n in range(4)]
    (answer,) = exchange(listener.port, oru(readings, device=monitor.serial_number))
    assert msa(answer)[0] == "AA"
    alert = Alert.objects.get(patient=monitor.patient, kind=AlertKind.TACHYCARDIA)
    assert (alert.first_value, alert.peak_value, alert.breach_count) == (140, 143, 4)


def test_readings_of_a_suspect_monitor_are_flagged(listener, monitor):
    monitor.status = DeviceStatus.MAINTENANCE
    monitor.save(update_fields=["status"])
    exchange(listener.port, oru([(70, seconds_ago(3))], device=monitor.serial_number))
    assert list(Reading.objects.filter(device=monitor).values_list("device_suspect", flat=True)) == [True]


AE_CASES = {
    "unknown device": (dict(device="NO-SUCH-SERIAL"), "unknown device NO-SUCH-SERIAL", "OBX^1^18"),
    "not a number": (dict(bpm="abc"), "whole number", "OBX^1^5"),
    "a fraction": (dict(bpm="72.5"), "whole number", "OBX^1^5"),
    "out of range": (dict(bpm="500"), "from 20 to 300", "OBX^1^5"),
    "wrong units": (dict(unit="mmHg"), "/min", "OBX^1^6"),
    "no heart rate": (dict(code="59408-5^SpO2^LN"), "No heart-rate OBX", "OBX^1^3"),
    "in the future": (dict(offset=-3600), "future", "OBX^1^14"),
    "bad time": (dict(at="2026x"), "observation time", "OBX^1^14"),
    "not an oru": (dict(kind="ADT^A01^ADT_A01"), "Only ORU^R01", "MSH^1^9"),
}


@pytest.mark.parametrize("case", AE_CASES, ids=list(AE_CASES))
def test_a_refused_message_is_ae_naming_the_problem_and_stores_nothing(listener, monitor, case):
    change, words, location = AE_CASES[case]
    reading = (change.get("bpm", 72), seconds_ago(change.get("offset", 10)))
    message = oru([(72, seconds_ago(11)), reading], device=change.get("device", monitor.serial_number),
                  code=change.get("code", "8867-4^Heart rate^LN"), unit=change.get("unit", "/min"),
                  kind=change.get("kind", "ORU^R01^ORU_R01"))
    if "at" in change:
        message = message.replace(message.split("\r")[-2].split("|")[14], change["at"])
    (answer,) = exchange(listener.port, message)
    assert msa(answer) == ("AE", "MSG0001")
    assert words in err_text(answer)
    err = answer.segment("ERR")
    if location.startswith("OBX^1") and case not in ("unknown device", "wrong units", "no heart rate"):
        location = location.replace("OBX^1", "OBX^2")  # the second OBX is the bad one
    assert str(err(2)) == location
    assert str(err(4)) == "E"
    assert Reading.objects.count() == 0


def test_an_unassigned_monitor_or_a_device_that_is_no_monitor_is_ae(listener):
    unassigned = DeviceFactory(monitor=True)
    pump = DeviceFactory()
    answers = exchange(listener.port, oru([(70, seconds_ago(5))], device=unassigned.serial_number),
                       oru([(70, seconds_ago(5))], device=pump.asset_number))
    assert [msa(a)[0] for a in answers] == ["AE", "AE"]
    assert "no assigned patient" in err_text(answers[0])
    assert "not a monitor" in err_text(answers[1])
    assert Reading.objects.count() == 0


def test_garbage_is_ar_and_the_connection_goes_on(listener, monitor):
    with connect(listener.port) as sock:
        send(sock, "this is not HL7")
        answer = receive(sock)
        assert str(answer.segment("MSA")(1)) == "AR"
        assert "MSH" in err_text(answer)
        send(sock, oru([(70, seconds_ago(4))], device=monitor.serial_number))
        assert msa(receive(sock))[0] == "AA"
    assert len(stored(monitor)) == 1


def test_an_oversized_frame_closes_the_connection_and_the_listener_goes_on(listen, monitor):
    running = listen(max_message_bytes=4096)
    with connect(running.port) as sock:
        send(sock, oru([(70, seconds_ago(100 - n)) for n in range(80)], device=monitor.serial_number))
        assert receive(sock) is None
    (answer,) = exchange(running.port, oru([(70, seconds_ago(2))], device=monitor.serial_number))
    assert msa(answer)[0] == "AA"
    assert len(stored(monitor)) == 1


def test_a_frame_without_start_block_closes_the_connection(listener, monitor):
    with connect(listener.port) as sock:
        sock.sendall(b"MSH|^~\\&|no start block\x1c\r")
        assert receive(sock) is None
    assert msa(exchange(listener.port, oru([(70, seconds_ago(2))], device=monitor.serial_number))[0])[0] == "AA"


def test_a_source_outside_the_allow_list_is_dropped_unread(listen, monitor):
    running = listen(allowed=["10.0.0.0/8"])
    with connect(running.port) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the listener may close first
            send(sock, oru([(70, seconds_ago(2))], device=monitor.serial_number))
        assert receive(sock) is None
    assert Reading.objects.count() == 0


def test_ten_concurrent_connections_are_all_answered_and_stored(listener):
    monitors = [monitored_patient()[1] for _ in range(10)]

    def client(device):
        messages = [oru([(60 + n, seconds_ago(200 - 10 * m - n)) for n in range(10)],
                        device=device.serial_number, control_id=f"{device.pk}-{m}") for m in range(5)]
        return [msa(a) for a in exchange(listener.port, *messages)]

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(client, monitors))
    assert all(code == "AA" for answers in results for code, _id in answers)
    assert [control for _code, control in results[0]] == [f"{monitors[0].pk}-{m}" for m in range(5)]
    assert Reading.objects.filter(device__in=monitors).count() == 10 * 5 * 10


def test_messages_are_counted_by_ack_code_and_readings_under_hl7(listener, monitor):
    def count(code):
        return REGISTRY.get_sample_value("meditrack_hl7_messages_total", {"ack": code}) or 0

    def readings(source):
        return REGISTRY.get_sample_value("meditrack_readings_ingested_total", {"source": source}) or 0

    before = {code: count(code) for code in ("AA", "AE", "AR")}
    readings_before = {source: readings(source) for source in ("hl7", "api")}
    message = oru([(70, seconds_ago(3)), (71, seconds_ago(2))], device=monitor.serial_number)
    exchange(listener.port, message, message, oru([(70, seconds_ago(2))], device="UNKNOWN"), "garbage")
    assert {code: count(code) - before[code] for code in before} == {"AA": 2, "AE": 1, "AR": 1}
    # New readings only (the replay stores none), once, under the listener's own source.
    assert {s: readings(s) - readings_before[s] for s in readings_before} == {"hl7": 2, "api": 0}


def test_the_listener_survives_a_client_that_disconnects_mid_frame(listener, monitor):
    sock = socket.create_connection(("127.0.0.1", listener.port))
    sock.sendall(b"\x0bMSH|^~\\&|half a message")
    sock.close()
    assert msa(exchange(listener.port, oru([(70, seconds_ago(2))], device=monitor.serial_number))[0])[0] == "AA"


def test_an_idle_timeout_closes_a_stalled_frame_and_spares_busy_connections(listen, monitor):
    running = listen(idle_timeout=0.5)
    with connect(running.port) as stalled, connect(running.port) as busy:
        stalled.sendall(b"\x0bMSH|^~\\&|never finished")
        for n in range(3):  # a message every 0.3 s keeps this one open past the timeout
            send(busy, oru([(70, seconds_ago(10 - n))], device=monitor.serial_number, control_id=f"B{n}"))
            assert msa(receive(busy)) == ("AA", f"B{n}")
            time.sleep(0.3)
        assert receive(stalled) is None
    assert len(stored(monitor)) == 3


def test_the_default_limit_is_one_megabyte(listener, monitor):
    with connect(listener.port) as sock:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # closed while we still send
            send(sock, b"MSH|^~\\&|" + b"x" * (1024 * 1024 + 1))
        assert receive(sock) is None
    just_under = oru([(70, seconds_ago(2))], device=monitor.serial_number) + "NTE|1||" + "y" * 900_000 + "\r"
    assert msa(exchange(listener.port, just_under)[0])[0] == "AA"
