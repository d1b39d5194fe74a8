"""Department moved from clinical to organisation without moving data: same table, same rows,
and the old import path still gives the same model."""

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from clinical import models as clinical_models
from organisation.models import Department
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_table_kept_its_name_and_the_old_import_still_works():
    assert Department._meta.db_table == "clinical_department"
    assert Department._meta.app_label == "organisation"
    assert clinical_models.Department is Department


def test_staff_and_patients_point_at_the_moved_model():
    assert User._meta.get_field("department").related_model is Department
    assert clinical_models.Patient._meta.get_field("department").related_model is Department
    department = DepartmentFactory(name="Cardiology")
    nurse = UserFactory(nurse=True, department=department)
    assert list(department.staff.all()) == [nurse]


def test_admin_and_content_type_are_the_organisation_ones():
    assert admin.site.is_registered(Department)
    assert ContentType.objects.get_for_model(Department).app_label == "organisation"
