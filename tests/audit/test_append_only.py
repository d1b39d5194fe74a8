"""The log is append-only three times over: no route offers a write (405), the ORM refuses every
path that changes or deletes a row (AppendOnlyError, on every database), and on PostgreSQL the
database refuses raw SQL too (the trigger of audit/migrations/0002)."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.choices import Role
from audit.models import AppendOnlyError, AuditEntry
from tests.audit.helpers import entry
from tests.core.test_role_battery import ROUTED
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="The append-only trigger is PostgreSQL's; on SQLite the model and its queryset refuse (tested below).")


def unchanged(written):
    fresh = AuditEntry.objects.get(pk=written.pk)
    return (fresh.object_repr, fresh.cid, fresh.changes) == (written.object_repr, written.cid, written.changes)


# --- the database ---------------------------------------------------------------------------------

@postgres_only
@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditentry SET object_repr = 'forged' WHERE id = %s",
    "UPDATE audit_auditentry SET changes = NULL",
    "DELETE FROM audit_auditentry WHERE id = %s",
    "DELETE FROM audit_auditentry",
])
def test_postgresql_refuses_raw_update_and_delete(statement):
    written = entry(changes={"status": ["open", "closed"]})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [written.pk] if "%s" in statement else None)
    assert unchanged(written) and AuditEntry.objects.filter(pk=written.pk).exists()


@postgres_only
def test_postgresql_refuses_an_update_even_with_the_prune_setting_on():
    """The prune's setting opens DELETE only: an entry is never rewritten."""
    written = entry()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL meditrack.audit_prune = 'on'")
        cursor.execute("UPDATE audit_auditentry SET cid = 'forged' WHERE id = %s", [written.pk])
    assert unchanged(written)


@postgres_only
def test_the_trigger_is_installed_on_the_table():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_entry_append_only' "
                       "AND tgrelid = 'audit_auditentry'::regclass")
        assert cursor.fetchall() == [("O",)]  # enabled (origin)


# --- the ORM, on every database -------------------------------------------------------------------

@pytest.mark.parametrize("attempt", [
    lambda e: e.save(),
    lambda e: e.delete(),
    lambda e: AuditEntry.objects.filter(pk=e.pk).update(object_repr="forged"),
    lambda e: AuditEntry.objects.filter(pk=e.pk).delete(),
    lambda e: AuditEntry.objects.all().delete(),
    lambda e: AuditEntry.objects.bulk_update([e], ["object_repr"]),
    lambda e: AuditEntry.objects.update_or_create(pk=e.pk, defaults={"object_repr": "forged"}),
], ids=["save", "delete", "queryset-update", "queryset-delete", "delete-all", "bulk-update", "update-or-create"])
def test_the_orm_refuses_to_change_or_delete_an_entry(attempt):
    written = entry(changes={"status": ["open", "closed"]})
    written.object_repr = "forged"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        attempt(written)
    written.object_repr = "patient #5"
    assert unchanged(written)


def test_new_entries_are_still_written():
    before = AuditEntry.objects.count()
    entry()
    assert AuditEntry.objects.count() == before + 1


def test_deleting_a_user_leaves_their_entries_as_they_were():
    nurse = UserFactory(role=Role.NURSE, first_name="Nico", last_name="Nurse")
    written, nurse_id = entry(actor=nurse), nurse.pk
    nurse.delete()
    fresh = AuditEntry.objects.get(pk=written.pk)
    assert (fresh.actor_id, fresh.actor_name, fresh.actor_role) == (nurse_id, "Nico Nurse", "nurse")


# --- the routes -----------------------------------------------------------------------------------

AUDIT_ROUTES = [entry_ for entry_ in ROUTED if "audit-log" in entry_[0] or "access-log" in entry_[0]]


def test_the_audit_routes_are_read_only():
    assert AUDIT_ROUTES  # the walk found them
    assert {method for _, _, _, method, _ in AUDIT_ROUTES} == {"get"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_to_the_audit_log_are_405(admin_client, method):
    written = entry()
    for path in ("/api/audit-log/", f"/api/audit-log/{written.pk}/"):
        response = getattr(admin_client, method)(path, {"object_repr": "forged"}, format="json")
        assert response.status_code == 405, (method, path, response.content)
        assert response.json()["code"] == "method_not_allowed"
    assert unchanged(written) and AuditEntry.objects.filter(pk=written.pk).exists()
