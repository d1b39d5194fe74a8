"""Reads that may lag go to the read replica; everything else stays on default.

With DATABASE_REPLICA_URL set (config/database.py) there is a `replica` alias. A route opts in, in
one visible place, and only for what it reads after authentication and roles:

- `ReplicaReadsMixin` on a DRF view: its GET/HEAD handler runs inside `reading_from_replica()`
  (after DRF's `initial()`: the token's user, the role check and the throttles read default);
  the monitoring history and buckets, the reliability report and the FHIR reads use it;
- `reading_from_replica()` around other code (core.viewsets: a list's CSV export; its queryset is
  pinned to the chosen alias before the body streams, after the view has returned).

Inside the context, `ReplicaRouter.db_for_read` answers `replica`, unless default's connection is in
a transaction (`atomic()`): a read there may follow a write of the same transaction, or lock rows,
so it stays on default. Writes always go to default. Outside the context the router answers nothing,
so Django's own rule applies (an object read from the replica loads its relations from there) and
without the alias nothing changes at all. What the replica may lag behind: docs/scaling.md.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD")

_replica_reads = ContextVar("meditrack_replica_reads", default=False)


def replica_configured():
    return REPLICA in connections.settings


def read_alias():
    """The alias a read made now goes to: `replica` inside `reading_from_replica()` when there is
    one and default has no open transaction, else default."""
    if _replica_reads.get() and replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return REPLICA
    return DEFAULT_DB_ALIAS


@contextmanager
def reading_from_replica():
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if read_alias() == REPLICA else None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as default

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # a replica follows the primary's schema; it is never migrated itself


class ReplicaReadsMixin:
    """A DRF view whose GET (and HEAD) handler reads from the replica, when there is one."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, roles, throttles: on default
        if request.method in SAFE_METHODS:
            self._replica_token = _replica_reads.set(True)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            token = self.__dict__.pop("_replica_token", None)
            if token is not None:
                _replica_reads.reset(token)
