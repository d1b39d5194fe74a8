"""config/database.py: DATABASES from the environment (PgBouncer, the replica, persistent connections),
and what a transaction pooler forbids: no server-side cursor where DISABLE_SERVER_SIDE_CURSORS is set."""

import datetime
import os
import runpy
from pathlib import Path

import environ
import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from config.database import databases
from core.db_router import read_alias, reading_from_replica
from reports.selectors import reliability_report
from tests.factories.equipment import DeviceFactory

PG = "postgres://app@db.internal:5432/meditrack"


def configured(**variables):
    env = environ.Env()
    env.ENVIRON = variables
    return databases(env, Path("/srv/app"))


def test_without_environment_one_sqlite_database_with_persistent_checked_connections():
    result = configured()
    assert set(result) == {"default"}
    default = result["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3" and default["NAME"] == "/srv/app/db.sqlite3"
    assert (default["CONN_MAX_AGE"], default["CONN_HEALTH_CHECKS"], default["ATOMIC_REQUESTS"]) == (60, True, False)
    assert default["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "DISABLE_SERVER_SIDE_CURSORS" not in default


def test_postgres_direct_keeps_server_side_cursors_and_reads_conn_max_age():
    default = configured(DATABASE_URL=PG, CONN_MAX_AGE="300")["default"]
    assert default["ENGINE"] == "django.db.backends.postgresql" and default["HOST"] == "db.internal"
    assert default["CONN_MAX_AGE"] == 300 and default["CONN_HEALTH_CHECKS"] is True
    assert not default.get("DISABLE_SERVER_SIDE_CURSORS")


def test_through_pgbouncer_server_side_cursors_are_off_and_connections_still_persist():
    default = configured(DATABASE_URL=PG.replace(":5432", ":6432"), DATABASE_POOLER="pgbouncer")["default"]
    assert default["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert default["CONN_MAX_AGE"] == 60 and default["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(("variables", "message"), [
    ({"DATABASE_POOLER": "pgpool"}, "DATABASE_POOLER must be empty or 'pgbouncer'"),
    ({"DATABASE_URL": PG + "?server_side_binding=true", "DATABASE_POOLER": "pgbouncer"}, "server_side_binding"),
    ({"DATABASE_URL": PG, "DATABASE_REPLICA_URL": "sqlite:////tmp/x.sqlite3"}, "same kind of database"),
])
def test_settings_a_pooler_cannot_serve_are_refused(variables, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        configured(**variables)


def test_the_pooler_setting_is_ignored_for_sqlite():
    # A process given a SQLite URL of its own (gunicorn and devserver tests) inherits CI's DATABASE_POOLER.
    default = configured(DATABASE_POOLER="pgbouncer")["default"]
    assert default["ENGINE"] == "django.db.backends.sqlite3" and "DISABLE_SERVER_SIDE_CURSORS" not in default


def test_a_replica_url_adds_the_replica_alias_a_test_mirror_with_its_own_pooler_setting():
    result = configured(DATABASE_URL=PG, DATABASE_POOLER="pgbouncer",
                        DATABASE_REPLICA_URL="postgres://app@replica.internal:5432/meditrack")
    assert set(result) == {"default", "replica"}
    replica = result["replica"]
    assert replica["HOST"] == "replica.internal" and replica["TEST"] == {"MIRROR": "default"}
    assert replica["CONN_MAX_AGE"] == 60 and replica["CONN_HEALTH_CHECKS"] is True
    # Direct to the replica: CSV exports keep their server-side cursor (constant memory) there.
    assert not replica.get("DISABLE_SERVER_SIDE_CURSORS")
    both = configured(DATABASE_URL=PG, DATABASE_REPLICA_URL=PG, DATABASE_REPLICA_POOLER="pgbouncer")
    assert both["replica"]["DISABLE_SERVER_SIDE_CURSORS"] is True and not both["default"].get(
        "DISABLE_SERVER_SIDE_CURSORS")


def test_without_a_replica_alias_the_replica_context_reads_default():
    with reading_from_replica():
        assert read_alias() == "default"


def open_server_cursors():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("pooled", [False, True])
def test_the_reports_chunked_reads_open_no_server_side_cursor_through_a_pooler(db, monkeypatch, pooled):
    if connection.vendor != "postgresql":
        pytest.skip("server-side cursors are PostgreSQL's")
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", pooled)
    DeviceFactory.create_batch(2)
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    report = reliability_report(start=start, end=start + datetime.timedelta(days=1))
    rows = iter(report["devices"])
    next(rows)  # the query ran and its cursor is open while the rows are read
    assert open_server_cursors() == (0 if pooled else 1)
    assert len(list(rows)) == 1


def test_the_suite_runs_with_the_settings_its_environment_asks_for():
    # `.ci/run` sets DATABASE_POOLER=pgbouncer: the suite's own connection must then have the cursors off.
    pooled = os.environ.get("DATABASE_POOLER") == "pgbouncer" and connection.vendor == "postgresql"
    assert bool(connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")) is pooled


def compose_services():
    return yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())["services"]


def test_the_compose_stack_reaches_postgres_only_through_pgbouncer_in_transaction_mode():
    services = compose_services()
    pooler = services["pgbouncer"]
    assert pooler["environment"]["POOL_MODE"] == "transaction"
    assert "@db:5432/" in pooler["environment"]["DATABASE_URL"]
    assert pooler["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "ingest", "worker", "beat", "hl7"):
        environment = services[name]["environment"]
        assert "@pgbouncer:5432/" in environment["DATABASE_URL"], name
        assert environment["DATABASE_POOLER"] == "pgbouncer", name  # server-side cursors off through it
        assert "db" not in services[name].get("depends_on", {}), name
    # The settings a compose app process loads from that environment.
    app = configured(DATABASE_URL=services["web"]["environment"]["DATABASE_URL"], DATABASE_POOLER="pgbouncer")
    assert app["default"]["HOST"] == "pgbouncer" and app["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_the_ingest_pool_is_its_own_gunicorn_with_the_projects_settings():
    command = compose_services()["ingest"]["command"].split()
    assert command[:2] == ["gunicorn", "config.wsgi:application"]
    assert command[command.index("-c") + 1] == "gunicorn.conf.py"
    # Sync workers: gunicorn.conf.py's threads would otherwise turn them into gthread.
    assert command[command.index("--worker-class") + 1] == "sync" and command[command.index("--threads") + 1] == "1"
    assert command[command.index("--bind") + 1] == "0.0.0.0:8001"


def gunicorn_settings(*flags):
    """gunicorn.conf.py read into gunicorn's Config as gunicorn does, then `flags` on top (`gunicorn -c ... flags`)."""
    from gunicorn.config import Config

    cfg = Config()
    for name, value in runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)
    for name, value in vars(cfg.parser().parse_args([*flags, "config.wsgi:application"])).items():
        if value is not None and name in cfg.settings:
            cfg.set(name, value)
    return cfg


def test_gunicorn_conf_runs_threaded_workers_recycled_with_jitter_and_flags_win():
    cfg = gunicorn_settings()
    assert cfg.worker_class_str == "gthread" and cfg.threads == 4 and cfg.workers == len(os.sched_getaffinity(0))
    assert cfg.keepalive > 60 and cfg.max_requests > 0 and 0 < cfg.max_requests_jitter < cfg.max_requests
    assert cfg.limit_request_line == 8190  # the JSON-error part is still there
    # The compose ingest pool: sync workers need --threads 1 (gunicorn turns sync with threads into gthread).
    ingest = gunicorn_settings("--worker-class", "sync", "--threads", "1", "--workers", "2")
    assert (ingest.worker_class_str, ingest.threads, ingest.workers) == ("sync", 1, 2)
