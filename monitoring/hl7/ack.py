"""The ACK for a message (original-mode acknowledgement), built by python-hl7's create_ack: sending
and receiving application and facility swapped, MSH-9 ACK^<trigger>^ACK (ACK^R01^ACK for an ORU^R01),
a new control id in MSH-10, MSA-1 the code and MSA-2 the message's MSH-10; an AE or AR also carries
an ERR segment (v2.5 layout: ERR-2 location, ERR-3 HL7 table 0357 code, ERR-4 severity E, ERR-8 the
text)."""

from monitoring.hl7.message import Unparseable, parse

AA, AE, AR = "AA", "AE", "AR"
# When the block cannot be parsed, the ACK still copies what its first line holds, if anything.
_SALVAGED_FIELDS = 12


def ack(message, code, problem=None):
    """The ACK of a parsed message: AA, or AE/AR with the Problem in an ERR segment."""
    answer = message.create_ack(code)
    if problem is not None:
        answer.append(_err(message, problem.condition, problem.location, problem.text))
    return answer


def reject(raw_text, reason):
    """The AR for a block that is not an HL7 message. Its MSH fields (application, facility, control
    id, version) are copied when its first line looks like an MSH; otherwise they stay empty."""
    header = raw_text.replace("\n", "\r").split("\r", 1)[0]
    fields = header[4:].split("|") if header.startswith("MSH|") else []
    fields = [_printable(field) for field in fields[:_SALVAGED_FIELDS - 1]]
    fields += [""] * (_SALVAGED_FIELDS - 1 - len(fields))
    fields[0] = "^~\\&"  # MSH-2: the encoding characters of our answer, whatever the block said
    fields[7] = "ORU^R01"  # MSH-9: the only message this listener accepts
    try:
        salvaged = parse("MSH|" + "|".join(fields))
    except Unparseable:
        salvaged = parse("MSH|^~\\&|||||||ORU^R01")
    answer = salvaged.create_ack(AR)
    answer.append(_err(salvaged, ("100", "Segment sequence error"), ("MSH", 1, None), reason))
    return answer


def _printable(field):
    # Only plain characters are copied back: no separators or escapes of another encoding.
    return "".join(ch for ch in field if ch.isprintable() and ch not in "^~\\&")[:80]


def _err(message, condition, location, text):
    segment, ordinal, field = location
    err = message.create_segment([message.create_field(["ERR"])])
    err.assign_field(segment, 2, 1, 1)
    err.assign_field(str(ordinal), 2, 1, 2)
    if field is not None:
        err.assign_field(str(field), 2, 1, 3)
    err.assign_field(condition[0], 3, 1, 1)
    err.assign_field(condition[1], 3, 1, 2)
    err.assign_field("HL70357", 3, 1, 3)
    err.assign_field("E", 4)
    err.assign_field(message.escape(text), 8)
    return err


def ack_code(answer):
    return str(answer.segment("MSA")(1))


def encode(answer):
    return str(answer).encode("utf-8")

