"""organisation.0001 renames the department content type in place, so an existing database keeps the
permissions granted on departments and the admin history that point at it (see the migration)."""
import importlib

import pytest
from auditlog.context import disable_auditlog
from django.apps import apps
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("organisation.migrations.0001_initial")
forward = migration.content_type_to("organisation", "clinical")
backward = migration.content_type_to("clinical", "organisation")


@pytest.fixture
def before_the_move():
    """The state of a database made before Department moved: its content type is clinical's."""
    ContentType.objects.clear_cache()
    content_type = ContentType.objects.get(app_label="organisation", model="department")
    content_type.app_label = "clinical"
    content_type.save()
    yield content_type
    ContentType.objects.clear_cache()


def _department_type():
    return ContentType.objects.filter(model="department").values_list("app_label", flat=True)


def test_rename_keeps_grants_and_admin_history(before_the_move):
    permission = Permission.objects.get(content_type=before_the_move, codename="change_department")
    group = Group.objects.create(name="Department editors")
    group.permissions.add(permission)
    with disable_auditlog():  # its audit entry would make the organisation content type this state lacks
        department = DepartmentFactory()
    entry = LogEntry.objects.create(user=UserFactory(), content_type=before_the_move,
                                    object_id=str(department.pk), object_repr="Cardiology",
                                    action_flag=ADDITION)
    forward(apps, None)
    assert list(_department_type()) == ["organisation"]
    assert list(group.permissions.all()) == [permission]  # the same row, now under organisation
    assert Permission.objects.get(pk=permission.pk).content_type.app_label == "organisation"
    assert LogEntry.objects.get(pk=entry.pk).content_type.app_label == "organisation"


def test_rename_is_idempotent_and_reversible(before_the_move):
    forward(apps, None)
    forward(apps, None)  # run again: nothing to rename, nothing changes
    assert list(_department_type()) == ["organisation"]
    backward(apps, None)
    assert list(_department_type()) == ["clinical"]
    backward(apps, None)
    assert list(_department_type()) == ["clinical"]


def test_rename_leaves_both_rows_alone_when_the_target_exists(before_the_move):
    fresh = ContentType.objects.create(app_label="organisation", model="department")
    forward(apps, None)
    assert sorted(_department_type()) == ["clinical", "organisation"]
    assert ContentType.objects.get(pk=fresh.pk).app_label == "organisation"
