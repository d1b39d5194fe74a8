"""Work orders: delete, what blocks it, and the photo file it leaves or removes."""


import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.choices import Role
from core.testing import assert_error
from tests.factories.equipment import SparePartRequestFactory
from tests.workorders.conftest import png_bytes, post_with_photo
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


# --- delete --------------------------------------------------------------------------------------

def test_admin_deletes_a_work_order(team):
    assert team.clients[Role.ADMIN].delete(f"/api/workorders/{team.order.id}/").status_code == 204
    assert not WorkOrder.objects.filter(pk=team.order.pk).exists()


def test_work_order_with_spare_part_requests_cannot_be_deleted(team):
    SparePartRequestFactory(device=team.device, work_order=team.order)
    assert_error(team.clients[Role.ADMIN].delete(f"/api/workorders/{team.order.id}/"), 409, "work_order_in_use")
    assert WorkOrder.objects.filter(pk=team.order.pk).exists()


def test_deleting_a_work_order_deletes_its_photo_file(team, django_capture_on_commit_callbacks):
    response = post_with_photo(team.clients[Role.NURSE], team.device,
                               SimpleUploadedFile("casing.png", png_bytes(), content_type="image/png"))
    order = WorkOrder.objects.get(pk=response.json()["id"])
    storage, name = order.photo.storage, order.photo.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        assert team.clients[Role.ADMIN].delete(f"/api/workorders/{order.id}/").status_code == 204
    assert not storage.exists(name)


def test_a_refused_delete_keeps_the_photo_file(team, django_capture_on_commit_callbacks):
    response = post_with_photo(team.clients[Role.NURSE], team.device,
                               SimpleUploadedFile("casing.png", png_bytes(), content_type="image/png"))
    order = WorkOrder.objects.get(pk=response.json()["id"])
    SparePartRequestFactory(device=team.device, work_order=order)
    with django_capture_on_commit_callbacks(execute=True):
        assert_error(team.clients[Role.ADMIN].delete(f"/api/workorders/{order.id}/"), 409, "work_order_in_use")
    assert order.photo.storage.exists(order.photo.name)
