"""DATABASES (and the router) from the environment; config/settings.py reads them from here.

- `DATABASE_URL`: the primary (default: the SQLite file of `make run`). Every write goes there.
- `DATABASE_POOLER=pgbouncer`: the (PostgreSQL) URL names PgBouncer in transaction mode
  (docs/scaling.md), not PostgreSQL itself; ignored for SQLite. A pooled client holds a server
  connection for one transaction only, so nothing that lives in a session may be used: server-side
  cursors (Django's `iterator()` opens them WITH HOLD, outside any transaction) are turned off, and
  protocol-level prepared statements (psycopg's `server_side_binding`) are refused. The code uses no
  session-level SET, advisory lock or LISTEN (every SET is `set_config(..., true)`, local to its
  transaction; temporary tables live inside one).
- `DATABASE_REPLICA_URL` (optional): a streaming replica, alias `replica`, which the routes that only
  read history, buckets, reports, CSV exports and FHIR use (core.db_router). Without it the alias is
  absent and every query goes to default, as before. `DATABASE_REPLICA_POOLER=pgbouncer` when that
  URL names a transaction pooler too (then CSV exports lose their server-side cursor there as well).
- `CONN_MAX_AGE` (seconds, default 60) with health checks, for both: a worker keeps its connection
  between requests, and a connection that died (database restart, PgBouncer reload) is replaced
  before a request uses it. Under PgBouncer the kept connection is a cheap client slot of the pooler.
"""

import os
import tempfile
import time

from django.core.exceptions import ImproperlyConfigured

POOLERS = ("", "pgbouncer")
ROUTERS = ["core.db_router.ReplicaRouter"]  # answers nothing (all on default) without a replica alias


def databases(env, base_dir):
    """The DATABASES setting: `default`, and `replica` when DATABASE_REPLICA_URL is set."""
    default = env.db("DATABASE_URL", default=f"sqlite:///{base_dir / 'db.sqlite3'}")
    default["ATOMIC_REQUESTS"] = False
    _connection_options(env, default, "DATABASE_POOLER")
    if default["ENGINE"] == "django.db.backends.sqlite3":
        _sqlite(default)
    result = {"default": default}
    if env.str("DATABASE_REPLICA_URL", default=""):
        replica = env.db("DATABASE_REPLICA_URL")
        if replica["ENGINE"] != default["ENGINE"]:
            raise ImproperlyConfigured("DATABASE_REPLICA_URL must name the same kind of database as DATABASE_URL.")
        _connection_options(env, replica, "DATABASE_REPLICA_POOLER")
        # Tests: no second test database; the alias opens its own connection to default's.
        replica["TEST"] = {"MIRROR": "default"}
        result["replica"] = replica
    return result


def _connection_options(env, db, pooler_variable):
    db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A persistent connection is checked before each request reuses it, so a database restart costs
    # no request a 500 (and /api/health/ does not report a live database down).
    db.setdefault("CONN_HEALTH_CHECKS", True)
    pooler = env.str(pooler_variable, default="").strip().lower()
    if pooler not in POOLERS:
        raise ImproperlyConfigured(f"{pooler_variable} must be empty or 'pgbouncer', not {pooler!r}.")
    # SQLite has no server to pool: the variable is ignored there (a process started with a SQLite URL
    # of its own, as some tests and benchmarks do, inherits the environment's pooler setting).
    if pooler and db["ENGINE"] == "django.db.backends.postgresql":
        if db.get("OPTIONS", {}).get("server_side_binding"):
            raise ImproperlyConfigured("server_side_binding prepares statements per session: not through "
                                       f"PgBouncer in transaction mode ({pooler_variable}).")
        db["DISABLE_SERVER_SIDE_CURSORS"] = True


def _sqlite(db):
    # The embedded default serves a threaded server (runserver): several connections write at once.
    # IMMEDIATE makes every atomic() take SQLite's one write lock at BEGIN, so writers queue behind
    # the busy timeout instead of failing "database is locked" on a read-to-write upgrade, and a
    # check-then-write (slot overlap, one live appointment) runs alone, as select_for_update()
    # (a no-op on SQLite) makes it on PostgreSQL. WAL lets readers run beside the writer. Options
    # in DATABASE_URL's query string (`?timeout=5`) win.
    db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        **db.get("OPTIONS", {}),
    }
    # Tests on SQLite use a file (a new name per test run), not the in-memory database: threads in
    # the race tests each open their own connection, and they must all see the same database. A
    # new name means a killed run's leftover -wal file is never replayed into a fresh database.
    db["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"meditrack-test-{os.getpid()}-{time.time_ns()}.sqlite3")
    }
