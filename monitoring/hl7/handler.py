"""One MLLP block in, its ACK out: parse (AR when it is not a message), read the heart rates, store
them (AE with ERR when a rule refuses, nothing stored), else AA. Synchronous: the listener runs it in
a worker thread, so the database work never blocks the event loop."""

import logging

from django.db import DatabaseError, close_old_connections

from core.metrics import HL7_MESSAGES
from monitoring.hl7 import ack as acks
from monitoring.hl7.message import INTERNAL_ERROR, Problem, Unparseable, heart_rates, parse
from monitoring.hl7.store import readings_store

logger = logging.getLogger("monitoring.hl7")


def answer(block, peer="?"):
    """The ACK (an hl7.Message) for one block's bytes."""
    text = block.decode("utf-8", errors="replace")
    try:
        message = parse(text)
    except Unparseable as exc:
        logger.warning("HL7 from %s: AR, %s", peer, exc)
        return acks.reject(text, str(exc))
    try:
        acks.ack(message, acks.AA)  # an MSH too incomplete to answer (python-hl7 raises) is unparseable
    except Exception as exc:
        logger.warning("HL7 from %s: AR, the MSH segment cannot be answered (%s)", peer, type(exc).__name__)
        return acks.reject(text, "The MSH segment is incomplete: it cannot be acknowledged.")
    try:
        readings_store(heart_rates(message))
    except Problem as problem:
        logger.info("HL7 from %s: AE for %s, %s", peer, _control_id(message), problem.text)
        return acks.ack(message, acks.AE, problem)
    except DatabaseError:
        logger.exception("HL7 from %s: AE for %s, the database refused the write", peer, _control_id(message))
        return acks.ack(message, acks.AE, Problem(INTERNAL_ERROR, "The readings could not be stored now; "
                                                  "send the message again."))
    return acks.ack(message, acks.AA)


def answer_in_thread(block, peer="?"):
    """answer() as a worker thread runs it: its database connection is handled as a request's is
    (closed when broken or older than CONN_MAX_AGE), and the ACK comes back encoded and counted."""
    close_old_connections()
    try:
        reply = answer(block, peer)
    finally:
        close_old_connections()
    HL7_MESSAGES.labels(ack=acks.ack_code(reply)).inc()
    return acks.encode(reply)


def _control_id(message):
    return str(message.segment("MSH")(10)) if len(message.segment("MSH")) > 10 else "(no MSH-10)"
