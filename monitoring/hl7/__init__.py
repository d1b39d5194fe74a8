"""HL7 v2 from bedside monitors and their gateways (`manage.py hl7_listen`, docs/hl7.md).

- message.py: an ORU^R01 read into heart-rate observations (python-hl7 parses), or a Problem;
- store.py: the observations' devices found and the readings stored through the same ingest as
  POST /api/records/ (monitoring.ingest.parse_batch, monitoring.services.readings_ingest);
- ack.py: the ACK (AA, AE with ERR, AR) for a message;
- server.py: the asyncio MLLP listener (python-hl7's streams), its allow-list and its thread pool.
"""
