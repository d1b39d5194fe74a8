"""Database helpers every app shares, and the one constraint -> error table.

Guarantees are database constraints first; a service's check before a write only gives the clearer
answer. When a write loses a race anyway (the check passed in two requests, one insert did not),
the IntegrityError is translated here, by the constraint that fired, into the answer the check
would have given: a 400 naming the field (`FieldError`) or a 409 with its code (`ConflictError`).

Each app declares what its constraints mean next to its models, in `CONSTRAINT_ERRORS` in the
module that defines them (`devices/models.py`, or one module of a models package such as
`clinical/models/consultations.py`):

    CONSTRAINT_ERRORS = {
        "devices_room_number_unique_per_hospital": FieldError("number", ROOM_NUMBER_TAKEN),
        "Device.asset_number": FieldError("asset_number", "A device with this ... exists."),
        "Device.patient": ConflictError("patient_has_monitor", "This patient already has ..."),
    }

A key is a `Meta.constraints` name, or `"Model.field"` for a field's own `unique=True` /
`OneToOneField` (Django does not name those; `"app_label.Model.field"` for another app's model, e.g.
clinical speaks for organisation's Department, which depends on no project app).

`with constraint_errors():` (also a decorator) runs the write in a savepoint and raises the mapped
error; services use it around their writes, and the base viewset (core.viewsets) around every
perform_create/perform_update. How the constraint is recognised:

- PostgreSQL reports its name (`exc.__cause__.diag.constraint_name`). A field's own unique is named
  `<table>_<column>_key` by PostgreSQL when created with the table, `<table>_<column>_<hash>_uniq`
  by Django when added later: both names are registered.
- SQLite names a CHECK constraint (`CHECK constraint failed: <name>`) and an expression index
  (`UNIQUE constraint failed: index '<name>'`), but a UNIQUE on columns only by its columns
  (`UNIQUE constraint failed: <table>.<col>, ...`): so unique constraints are also registered under
  their table and set of columns.

An IntegrityError the table does not know is re-raised: it answers 500 and is logged once (core
middleware). It means a check or an entry is missing, a bug to see and fix; a generic 409 would
hide it. tests/core/test_constraint_errors.py forces every entry through the database and checks
that every key names a constraint that exists.
"""

import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import UniqueConstraint
from rest_framework.exceptions import ValidationError

from core.errors import Conflict


@dataclass(frozen=True)
class FieldError:
    """The constraint guards one field's input: a 400 naming it."""

    field: str
    message: str

    def exception(self):
        return ValidationError({self.field: [self.message]})


@dataclass(frozen=True)
class ConflictError:
    """The constraint guards the state of other rows: a 409 with its code."""

    code: str
    message: str

    def exception(self):
        return Conflict(self.message, code=self.code)


def declared_entries():
    """(app config, key, error) for every CONSTRAINT_ERRORS of every module that defines models."""
    for config in apps.get_app_configs():
        modules = {sys.modules[model.__module__] for model in config.get_models()}
        for module in sorted(modules, key=lambda module: module.__name__):
            for key, error in getattr(module, "CONSTRAINT_ERRORS", {}).items():
                yield config, key, error


@cache
def constraint_table():
    """{constraint name or (table, frozenset of columns): FieldError | ConflictError}."""
    return {signature: error for config, key, error in declared_entries()
            for signature in _signatures(config, key)}


def _signatures(config, key):
    if "." in key:
        *model_path, field_name = key.split(".")
        model = apps.get_model(*model_path) if len(model_path) == 2 else config.get_model(*model_path)
        meta = model._meta
        field = meta.get_field(field_name)
        if not field.unique:
            raise LookupError(f"{config.label}.CONSTRAINT_ERRORS: {key} is not a unique field.")
        suffixed = connection.schema_editor()._create_index_name(meta.db_table, [field.column], suffix="_uniq")
        return [f"{meta.db_table}_{field.column}_key", suffixed, (meta.db_table, frozenset([field.column]))]
    for model in config.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == key:
                if isinstance(constraint, UniqueConstraint) and constraint.fields:
                    columns = frozenset(model._meta.get_field(name).column for name in constraint.fields)
                    return [key, (model._meta.db_table, columns)]
                return [key]
    # A constraint only a migration creates (a PostgreSQL exclusion constraint): known by its name;
    # tests/core/test_constraint_errors.py checks that it exists there.
    return [key]


_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")
_SQLITE_INDEX = re.compile(r"index '(\w+)'")


def _signature(exc):
    """The constraint an IntegrityError names: its name, or (table, columns) for a SQLite UNIQUE."""
    diag = getattr(exc.__cause__, "diag", None)
    if diag is not None:  # PostgreSQL (psycopg)
        return diag.constraint_name
    message = str(exc)
    if match := _SQLITE_CHECK.match(message):
        return match[1]
    if match := _SQLITE_UNIQUE.match(message):
        if index := _SQLITE_INDEX.match(match[1]):
            return index[1]
        qualified = [name.strip().split(".", 1) for name in match[1].split(",")]
        return (qualified[0][0], frozenset(column for _, column in qualified))
    return None


def constraint_error(exc):
    """The API error (ValidationError or Conflict) for an IntegrityError, or None when unmapped."""
    error = constraint_table().get(_signature(exc))
    return error.exception() if error else None


@contextmanager
def constraint_errors():
    """Run a write in a savepoint; a constraint it breaks answers as the table says."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        error = constraint_error(exc)
        if error is None:
            raise
        raise error from exc
