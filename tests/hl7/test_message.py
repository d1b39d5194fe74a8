"""Reading a message, the ACK builder and the allow-list, without a socket or a database."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from monitoring.hl7 import ack as acks
from monitoring.hl7.message import Problem, Unparseable, heart_rates, parse
from monitoring.hl7.server import allowed_networks, source_allowed
from tests.hl7.conftest import oru


def test_heart_rates_read_value_time_and_device_per_obx():
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    message = parse(oru([(72, at)], device="SN-1^^EUI-64"))
    (reading,) = heart_rates(message)
    assert (reading.bpm, reading.recorded_at, reading.device, reading.device_field) == (72, at, "SN-1",
                                                                                       ("OBX", 1, 18))


def test_a_time_without_offset_is_in_time_zone(settings):
    settings.TIME_ZONE = "Asia/Riyadh"
    text = oru([(72, None)]).replace("OBR|1|||MONITOR|||", "OBR|1|||MONITOR|||20260102030405")
    (reading,) = heart_rates(parse(text))
    assert reading.recorded_at == datetime(2026, 1, 2, 0, 4, 5, tzinfo=UTC)
    assert reading.time_field == ("OBR", 1, 7)


def test_msh7_is_the_last_resort_for_the_time():
    header = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    (reading,) = heart_rates(parse(oru([(72, None)], header_time=header)))
    assert (reading.recorded_at, reading.time_field) == (header, ("MSH", 1, 7))


@pytest.mark.parametrize("text", ["", "garbage", "MSH|", "PID|1\rMSH|^~\\&|"])
def test_a_block_that_is_no_message_is_unparseable(text):
    with pytest.raises(Unparseable):
        parse(text)


def test_a_problem_becomes_an_ae_with_err():
    message = parse(oru([(72, None)], control_id="C-9"))
    answer = acks.ack(message, acks.AE, Problem(("102", "Data type error"), "OBX 1: bad | value", "OBX", 1, 5))
    assert str(answer.segment("MSA")) == "MSA|AE|C-9"
    assert str(answer.segment("ERR")) == "ERR||OBX^1^5|102^Data type error^HL70357|E||||OBX 1: bad \\F\\ value"


def test_a_rejected_block_copies_what_its_msh_line_holds():
    answer = acks.reject("MSH|^~\\&|MON|ICU|MT|HOSP|x||ORU^R01|CTRL-7|P|2.6\rbroken", "Not HL7")
    msh = answer.segment("MSH")
    assert [str(msh(n)) for n in (3, 4, 5, 6, 9)] == ["MT", "HOSP", "MON", "ICU", "ACK^R01^ACK"]
    assert str(answer.segment("MSA")) == "MSA|AR|CTRL-7"
    assert acks.ack_code(answer) == "AR"


def test_a_rejected_block_without_msh_still_gets_an_ar():
    answer = acks.reject("\x00\x01 garbage", "The block does not start with an MSH segment.")
    assert str(answer.segment("MSA")(1)) == "AR"
    assert "MSH segment" in answer.unescape(str(answer.segment("ERR")(8)))


@pytest.mark.parametrize(("address", "allowed"), [
    ("127.0.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True), ("10.1.2.3", True),
    ("10.2.0.1", False), ("192.168.0.1", False), ("not an address", False), (None, False),
])
def test_source_allowed_takes_addresses_and_networks(address, allowed):
    networks = allowed_networks(["127.0.0.1", "::1", "10.1.0.0/16", " "])
    assert source_allowed(address, networks) is allowed


def test_a_bad_allow_list_entry_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="HL7_ALLOWED_SOURCES"):
        allowed_networks(["127.0.0.1", "localhost"])


def test_an_obx_whose_result_cannot_be_obtained_is_no_reading():
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    text = oru([(72, at), (0, at)], device="SN-1")
    lines = text.split("\r")
    lines[-2] = lines[-2].replace("|||||F|||", "|||||X|||")
    (reading,) = heart_rates(parse("\r".join(lines)))
    assert (reading.ordinal, reading.bpm) == (1, 72)
    only_missing = parse("\r".join(line for n, line in enumerate(lines) if n != 3))
    with pytest.raises(Problem, match="No heart-rate OBX"):
        heart_rates(only_missing)


# Blocks on which python-hl7 itself fails (an assertion on the encoding characters, an index error
# on a short MSH): found by the black-box test; each must be an AR, never a dropped connection.
@pytest.mark.parametrize("block", [b"MSH|^~\\&", b"MSH|^~\\&|A", b"MSHX|^~\\&|A", b"MSH|^^^^|A|B",
                                   b"MSH|\xff\xfe\x00\x01"])
def test_a_block_python_hl7_cannot_parse_or_answer_is_an_ar(block):
    from monitoring.hl7.handler import answer

    assert acks.ack_code(answer(block)) == "AR"
