"""`manage.py prune_audit --before=<day>`: entries before that day (UTC) are exported to a gzip
JSON-lines file, then deleted in the same transaction, and the prune leaves its own entry; refusals
change nothing; on PostgreSQL the trigger's exception does not outlive the prune."""

import gzip
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import retention
from audit.choices import AuditAction
from audit.models import AuditEntry
from tests.audit.helpers import entries, entry

CUTOFF = datetime(2026, 2, 1, tzinfo=UTC)
OLD_START = datetime(2026, 1, 10, tzinfo=UTC)
COLUMNS = {field.attname for field in AuditEntry._meta.concrete_fields} | {"object_type"}

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="The append-only trigger exists on PostgreSQL only.")


def prune(*args):
    out = StringIO()
    call_command("prune_audit", *args, stdout=out)
    first, *rest = out.getvalue().splitlines()
    return json.loads(first), rest


def read_export(path):
    with gzip.open(path, "rt") as lines:
        return [json.loads(line) for line in lines]


def prune_entries():
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(AuditEntry))


@pytest.fixture
def log(db):
    """Ten entries before the cutoff (one a change with values), one at its very last instant, one
    at the cutoff and two after."""
    old = [*entries(9, start=OLD_START, cid="old-run"),
           entry(at=OLD_START, action=AuditAction.UPDATE, changes={"status": ["open", "closed"]}, cid="old-change",
                 remote_addr="10.1.2.3"),
           entry(at=CUTOFF - timedelta(microseconds=1), cid="last-old")]
    new = [entry(at=CUTOFF, cid="first-new"), entry(at=CUTOFF + timedelta(days=3), cid="newer")]
    return old, new


@pytest.mark.django_db
def test_prune_exports_then_deletes_exactly_the_older_entries(log, tmp_path, monkeypatch):
    monkeypatch.setattr(retention, "CHUNK_SIZE", 3)  # several chunks
    old, new = log
    kept_before = set(AuditEntry.objects.filter(timestamp__gte=CUTOFF).values_list("id", flat=True))
    target = tmp_path / "export.jsonl.gz"
    report, lines = prune("--before=2026-02-01", f"--output={target}")
    assert report == {"before": "2026-02-01", "pruned": len(old), "file": str(target.resolve())}
    assert lines == [f"Pruned {len(old)} audit entries before 2026-02-01; exported to {target.resolve()}."]

    exported = read_export(target)
    assert [row["id"] for row in exported] == [e.pk for e in sorted(old, key=lambda e: (e.timestamp, e.pk))]
    assert all(set(row) == COLUMNS for row in exported)
    change = next(row for row in exported if row["cid"] == "old-change")
    assert change["changes"] == {"status": ["open", "closed"]} and change["remote_addr"] == "10.1.2.3"
    assert change["object_type"] == "clinical.patient" and change["action"] == AuditAction.UPDATE
    assert datetime.fromisoformat(change["timestamp"].replace("Z", "+00:00")) == OLD_START
    assert exported[-1]["cid"] == "last-old"

    assert not AuditEntry.objects.filter(timestamp__lt=CUTOFF).exists()
    remaining = set(AuditEntry.objects.values_list("id", flat=True))
    assert kept_before <= remaining and {e.pk for e in new} <= remaining


@pytest.mark.django_db
def test_the_prune_records_itself(log, tmp_path):
    old, _ = log
    report, _ = prune("--before=2026-02-01", f"--output={tmp_path / 'x.jsonl.gz'}")
    (recorded,) = prune_entries()
    assert recorded.action == AuditAction.DELETE and recorded.actor_id is None and recorded.actor_name == ""
    assert recorded.changes == {"pruned": [None, len(old)], "before": [None, "2026-02-01"],
                                "file": [None, report["file"]]}
    assert recorded.cid.startswith("job-prune_audit-")
    assert recorded.object_repr == "audit entries before 2026-02-01"


@pytest.mark.django_db
def test_the_default_file_goes_to_var_audit(log, tmp_path, settings):
    settings.BASE_DIR = tmp_path
    report, _ = prune("--before=2026-02-01")
    (made,) = (tmp_path / "var" / "audit").iterdir()
    assert made.name.startswith("audit-before-2026-02-01-") and made.name.endswith(".jsonl.gz")
    assert report["file"] == str(made) and len(read_export(made)) == len(log[0])


@pytest.mark.django_db
def test_an_output_directory_gets_a_named_file(log, tmp_path):
    report, _ = prune("--before=2026-02-01", f"--output={tmp_path}")
    (made,) = tmp_path.iterdir()
    assert report["file"] == str(made.resolve()) and made.name.startswith("audit-before-2026-02-01-")


@pytest.mark.django_db
def test_nothing_older_means_no_file_and_no_entry(log, tmp_path):
    target = tmp_path / "none.jsonl.gz"
    report, lines = prune("--before=2026-01-01", f"--output={target}")
    assert report == {"before": "2026-01-01", "pruned": 0, "file": None}
    assert lines == ["No audit entries before 2026-01-01: nothing exported or deleted."]
    assert not target.exists() and not prune_entries().exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [
    (["--before=2026-02-30"], "not a date"),
    (["--before=yesterday"], "not a date"),
    (["--before=9999-01-01"], "after today"),
    ([], "--before"),
])
def test_a_bad_before_is_refused_and_changes_nothing(log, tmp_path, args, message):
    count = AuditEntry.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("prune_audit", *args, f"--output={tmp_path / 'x.jsonl.gz'}", stdout=StringIO())
    assert AuditEntry.objects.count() == count and list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_tomorrow_is_refused_and_today_is_allowed(log, tmp_path):
    today = datetime.now(UTC).date()
    with pytest.raises(CommandError, match="after today"):
        prune(f"--before={today + timedelta(days=1)}", f"--output={tmp_path / 'a.jsonl.gz'}")
    report, _ = prune(f"--before={today}", f"--output={tmp_path / 'b.jsonl.gz'}")
    assert report["pruned"] >= len(log[0]) + len(log[1])  # everything before today's midnight (UTC)


@pytest.mark.django_db
def test_an_existing_file_is_never_overwritten(log, tmp_path):
    target = tmp_path / "kept.jsonl.gz"
    target.write_bytes(b"earlier export")
    count = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="already exists"):
        prune("--before=2026-02-01", f"--output={target}")
    assert target.read_bytes() == b"earlier export" and AuditEntry.objects.count() == count


@pytest.mark.django_db
def test_a_failure_after_the_export_rolls_back_and_removes_the_file(log, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(retention, "_record", fail)
    count, target = AuditEntry.objects.count(), tmp_path / "x.jsonl.gz"
    with pytest.raises(DatabaseError):
        prune("--before=2026-02-01", f"--output={target}")
    assert AuditEntry.objects.count() == count and not target.exists()


@pytest.mark.django_db
def test_a_delete_that_does_not_match_the_export_changes_nothing(log, tmp_path, monkeypatch):
    real_export = retention._export

    def export_then_backdate(queryset, raw):
        exported = real_export(queryset, raw)
        entry(at=OLD_START, cid="back-dated")  # written meanwhile, before the delete: not in the file
        return exported[0], exported[1] + 10**6

    monkeypatch.setattr(retention, "_export", export_then_backdate)
    count, target = AuditEntry.objects.count(), tmp_path / "x.jsonl.gz"
    with pytest.raises(CommandError, match="nothing was deleted"):
        prune("--before=2026-02-01", f"--output={target}")
    assert AuditEntry.objects.count() == count and not target.exists()


@postgres_only
@pytest.mark.django_db
def test_postgresql_the_setting_is_off_again_within_an_outer_transaction(log, tmp_path):
    prune("--before=2026-02-01", f"--output={tmp_path / 'x.jsonl.gz'}")
    survivor = AuditEntry.objects.get(cid="first-new")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [survivor.pk])
    assert AuditEntry.objects.filter(pk=survivor.pk).exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_postgresql_a_committed_prune_leaves_deletes_refused(tmp_path):
    entries(3, start=OLD_START)
    survivor = entry(at=CUTOFF, cid="first-new")
    report, _ = prune("--before=2026-02-01", f"--output={tmp_path / 'x.jsonl.gz'}")
    assert report["pruned"] == 3 and not AuditEntry.objects.filter(timestamp__lt=CUTOFF).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('meditrack.audit_prune', true)")
        assert cursor.fetchone()[0] in (None, "", "off")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [survivor.pk])
    assert AuditEntry.objects.filter(pk=survivor.pk).exists()
