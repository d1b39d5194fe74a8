"""Retention: the one way an audit entry ever leaves the table (`manage.py prune_audit`).

Entries older than a day are first written to a gzip JSON-lines file (one object per entry, every
column, plus `object_type` as "<app_label>.<model>" since content type ids differ between
databases), streamed in chunks so memory stays flat, flushed and fsynced; then exactly those rows
are deleted in the same transaction, and the prune itself is recorded as an entry. On PostgreSQL
the append-only trigger lets the DELETE through only while `meditrack.audit_prune` is on, which this
transaction sets with SET LOCAL and turns off again before it ends (so it never outlives the prune,
even inside an outer transaction). Anything that fails rolls everything back and removes the file.
"""

import gzip
import json
import os
from datetime import UTC, date, datetime, time
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from audit.choices import AuditAction
from audit.context import entry_context
from audit.models import AuditEntry

CHUNK_SIZE = 2000
PRUNE_SETTING = "meditrack.audit_prune"


class RetentionError(Exception):
    """A prune that must not run (a date in the future, a file already there) or that did not add up."""


def default_directory():
    return Path(settings.BASE_DIR) / "var" / "audit"


def cutoff_of(before):
    """Entries strictly before the start of this day (UTC) are pruned."""
    return datetime.combine(before, time.min, tzinfo=UTC)


def check_prune(*, before, output=None):
    """The refusals, before anything is read: a day after today (UTC) would prune entries that do not
    exist yet, and an export never overwrites a file. Returns the file the export goes to (`output`,
    or a new name in `output` if it is a directory, default var/audit/)."""
    today = timezone.now().astimezone(UTC).date()
    if before > today:
        raise RetentionError(f"--before: {before.isoformat()} is after today ({today.isoformat()}, UTC).")
    path = Path(output) if output else default_directory()
    if output is None or path.is_dir():
        stamp = timezone.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = path / f"audit-before-{before.isoformat()}-{stamp}.jsonl.gz"
    if path.exists():
        raise RetentionError(f"--output: {path} already exists; an export never overwrites a file.")
    return path.resolve()


def audit_prune(*, before: date, output=None):
    """Export then delete every entry with timestamp < `before` (start of day, UTC). Returns the report."""
    path = check_prune(before=before, output=output)
    cutoff = cutoff_of(before)
    old = AuditEntry.objects.filter(timestamp__lt=cutoff)
    if not old.exists():  # nothing to prune: no file, no entry
        return {"before": before.isoformat(), "pruned": 0, "file": None}
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        raw = open(path, "xb")  # noqa: SIM115 (closed below, before the file is removed on failure)
    except FileExistsError as exc:
        raise RetentionError(f"--output: {path} already exists; an export never overwrites a file.") from exc
    try:
        with raw, transaction.atomic():
            exported, last_id = _export(old, raw)
            _fsync_directory(path.parent)
            _allow_delete(True)
            deleted = _delete(cutoff, last_id)
            _allow_delete(False)
            if deleted != exported:  # another prune, or an entry back-dated meanwhile: nothing changes
                raise RetentionError(f"Exported {exported} entries but {deleted} matched the delete; nothing "
                                     "was deleted.")
            _record(before, exported, path)
    except BaseException:  # rolled back: the file would describe a deletion that did not happen
        path.unlink(missing_ok=True)
        raise
    return {"before": before.isoformat(), "pruned": exported, "file": str(path)}


def _allow_delete(on):
    """PostgreSQL: `set_config(..., true)` is SET LOCAL: for this transaction at most (and turned off
    again right after the DELETE, so an outer transaction does not inherit it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, true)", [PRUNE_SETTING, "on" if on else "off"])


def _export(queryset, raw):
    """Write the rows to the open file as gzip JSON lines, oldest first, and make them durable
    (flush + fsync); returns (count, highest id)."""
    object_types = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    count, last_id = 0, 0
    with gzip.GzipFile(fileobj=raw, mode="wb") as compressed:
        for row in queryset.order_by("timestamp", "id").values().iterator(chunk_size=CHUNK_SIZE):
            row["object_type"] = object_types.get(row["content_type_id"])
            compressed.write(json.dumps(row, cls=DjangoJSONEncoder, sort_keys=True).encode() + b"\n")
            count, last_id = count + 1, max(last_id, row["id"])
    raw.flush()
    os.fsync(raw.fileno())
    return count, last_id


def _fsync_directory(directory):
    """The file's name is durable too (POSIX: fsync the directory); not possible on every platform."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _delete(cutoff, last_id):
    """The exported rows, by raw SQL: the model's queryset refuses delete() (append-only), and on
    PostgreSQL the trigger lets this through only while the prune's setting is on."""
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM {table} WHERE "timestamp" < %s AND id <= %s',  # noqa: S608 (the model's table)
                       [cutoff, last_id])
        return cursor.rowcount


def _record(before, count, path):
    AuditEntry.objects.create(
        action=AuditAction.DELETE, content_type=ContentType.objects.get_for_model(AuditEntry), object_pk="",
        object_repr=f"audit entries before {before.isoformat()}",
        changes={"pruned": [None, count], "before": [None, before.isoformat()], "file": [None, str(path)]},
        **entry_context(),
    )
