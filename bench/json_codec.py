"""JSON in and out, stdlib json (DRF's renderer, the json path of our parser) against orjson
(core.renderers.JSONRenderer, core.parsers.LimitedJSONParser), in one process, interleaved:
render a 50-row devices page (the list's real `response.data`, 50 devices with their nurses) and
parse a 5,000-reading ingest batch. Prints the median time of each and the ratio.

Named json_codec.py, not json.py: a bench runs as `python bench/<name>.py`, which puts bench/ first
on sys.path, where a json.py would stand in for the standard library's json in every bench.

    .venv/bin/python bench/json_codec.py [--rounds 7]
"""

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup():
    os.environ.update({"DATABASE_URL": "sqlite://:memory:", "DEBUG": "off", "LOG_LEVEL": "WARNING",
                       "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
                       "DJANGO_SETTINGS_MODULE": "config.settings"})
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def devices_page():
    from accounts.choices import Role
    from core.testing import authenticated_client
    from tests.factories import user_for_role
    from tests.factories.equipment import DeviceFactory

    DeviceFactory.create_batch(50, name="مضخة تسريب")
    response = authenticated_client(user_for_role(Role.ADMIN)).get("/api/devices/?page_size=50",
                                                                   HTTP_HOST="localhost")
    assert response.status_code == 200 and len(response.data["results"]) == 50, response.content[:300]
    return response.data


def readings_batch(size=5000):
    import json

    readings = [{"device": 1 + n % 40, "bpm": 60 + n % 40, "spo2": 95 + n % 5, "systolic": 120, "diastolic": 80,
                 "temperature": 36.6, "recorded_at": f"2026-01-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"}
                for n in range(size)]
    return json.dumps({"readings": readings}).encode()


def median_seconds(work, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (each many calls)")
    args = parser.parse_args()
    setup()
    from rest_framework.renderers import JSONRenderer as StdlibRenderer

    from core.parsers import LimitedJSONParser
    from core.renderers import JSONRenderer

    page, body = devices_page(), readings_batch()
    ours, drf, json_parser = JSONRenderer(), StdlibRenderer(), LimitedJSONParser()
    assert ours.render(page) == drf.render(page)
    context = {"encoding": "utf-8"}
    assert json_parser.parse(io.BytesIO(body), None, context) == json_parser.parse_with_json(io.BytesIO(body), None,
                                                                                            context)
    cases = {
        "render a 50-row devices page": (lambda: drf.render(page), lambda: ours.render(page), 200),
        "parse a 5,000-reading batch": (lambda: json_parser.parse_with_json(io.BytesIO(body), None, context),
                                        lambda: json_parser.parse(io.BytesIO(body), None, context), 20),
    }
    print(f"page {len(ours.render(page)):,} bytes, batch {len(body):,} bytes; {args.rounds} interleaved rounds")
    for name, (stdlib, fast, calls) in cases.items():
        slow_t, fast_t = [], []
        for _ in range(args.rounds):
            slow_t.append(median_seconds(stdlib, calls))
            fast_t.append(median_seconds(fast, calls))
        slow, quick = statistics.median(slow_t) * 1000, statistics.median(fast_t) * 1000
        print(f"{name}: stdlib json {slow:.3f} ms, orjson {quick:.3f} ms, orjson/stdlib time {quick / slow:.2f} "
              f"({slow / quick:.1f}x faster)")


if __name__ == "__main__":
    main()
