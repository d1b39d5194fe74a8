"""Work orders: reporting one (due dates, numbering, bad input) and its photo."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import Role
from core.testing import assert_error
from tests.workorders.conftest import png_bytes, post_with_photo
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


# --- create --------------------------------------------------------------------------------------

@pytest.mark.parametrize("priority, days", [("critical", 1), ("high", 3), ("medium", 7), ("low", 14)])
def test_nurse_reports_a_work_order_with_derived_due_date(team, priority, days):
    response = team.clients[Role.NURSE].post("/api/workorders/", {
        "device": team.device.id, "description": "Screen flickers", "work_type": "CM", "priority": priority,
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(rf"WO-{timezone.now():%Y%m}-\d{{4}}", body["work_number"])
    order = WorkOrder.objects.get(pk=body["id"])
    assert order.due_date == TODAY() + datetime.timedelta(days=days)
    assert (order.created_by, order.assigned_to, order.status) == (team.nurse, team.engineer, "open")
    assert body["assigned_to"] == team.engineer.id and body["created_by"] == team.nurse.id
    assert body["photo_url"] is None and body["is_overdue"] is False


def test_engineer_reports_with_an_explicit_due_date(team):
    due = TODAY() + datetime.timedelta(days=30)
    response = team.clients[Role.ENGINEER].post("/api/workorders/", {
        "device": team.device.id, "description": "Yearly check", "work_type": "PM", "priority": "low",
        "due_date": due.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get(pk=response.json()["id"])
    assert order.due_date == due and order.work_type == "PM" and order.created_by == team.engineer


def test_work_numbers_count_up_within_the_month(team):
    numbers = [team.clients[Role.NURSE].post("/api/workorders/", {
        "device": team.device.id, "description": "x", "work_type": "CM", "priority": "low"}, format="json",
    ).json()["work_number"] for _ in range(2)]
    assert [int(number[-4:]) for number in numbers] == [1, 2]


@pytest.mark.parametrize("change, field", [
    ("device_outside_scope", "device"), ("missing_device", "device"), ("no_description", "description"),
    ("bad_priority", "priority"), ("bad_work_type", "work_type"), ("past_due_date", "due_date"),
])
def test_work_order_create_refuses_bad_input_and_stores_nothing(team, change, field):
    body = {"device": team.device.id, "description": "x", "work_type": "CM", "priority": "low"}
    if change == "device_outside_scope":
        body["device"] = team.other.device_id
    elif change == "missing_device":
        body["device"] = 999999
    elif change == "no_description":
        body["description"] = ""
    elif change == "bad_priority":
        body["priority"] = "urgent-ish"
    elif change == "bad_work_type":
        body["work_type"] = "XX"
    else:
        body["due_date"] = (TODAY() - datetime.timedelta(days=1)).isoformat()
    assert_error(team.clients[Role.NURSE].post("/api/workorders/", body, format="json"), 400, fields=[field])
    assert WorkOrder.objects.count() == 2


def test_decommissioned_device_takes_no_work_orders(team):
    team.device.status = "decommissioned"
    team.device.save()
    response = team.clients[Role.ENGINEER].post("/api/workorders/", {
        "device": team.device.id, "description": "x", "work_type": "CM", "priority": "low"}, format="json")
    assert_error(response, 409, "device_decommissioned")
    assert WorkOrder.objects.count() == 2


# --- photo ---------------------------------------------------------------------------------------


def test_photo_upload_is_stored_and_served_only_through_the_authenticated_route(team, api_client):
    content = png_bytes()
    response = post_with_photo(team.clients[Role.NURSE], team.device,
                               SimpleUploadedFile("casing.png", content, content_type="image/png"))
    assert response.status_code == 201, response.content
    order = WorkOrder.objects.get(pk=response.json()["id"])
    assert order.photo.name.endswith(".png") and "casing" not in order.photo.name
    photo_url = response.json()["photo_url"]
    assert photo_url.endswith(f"/api/workorders/{order.id}/photo/")
    assert response.json()["photo"] == photo_url  # the contract's field name, never a media URL
    assert team.clients[Role.NURSE].get(f"/api/workorders/{team.order.id}/").json()["photo"] is None
    served = team.clients[Role.ENGINEER].get(f"/api/workorders/{order.id}/photo/")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == content
    assert_error(api_client.get(f"/api/workorders/{order.id}/photo/"), 401)
    assert_error(team.clients[Role.NURSE].get(f"/api/workorders/{team.order.id}/photo/"), 404)  # no photo


def test_a_text_file_named_png_is_refused(team):
    fake = SimpleUploadedFile("photo.png", b"definitely not an image\n" * 20, content_type="image/png")
    assert_error(post_with_photo(team.clients[Role.NURSE], team.device, fake), 400, fields=["photo"])
    assert WorkOrder.objects.count() == 2


def test_a_photo_over_5_mb_is_refused_with_413(team):
    big = png_bytes(size=(1400, 1400), noise=True)
    assert len(big) > 5 * 1024 * 1024
    response = post_with_photo(team.clients[Role.NURSE], team.device,
                               SimpleUploadedFile("big.png", big, content_type="image/png"))
    assert_error(response, 413, fields=["photo"])
    assert WorkOrder.objects.count() == 2
