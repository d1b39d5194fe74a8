import datetime
import io
import re
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfReader

from accounts.choices import Role
from core.testing import assert_error
from tests.devices.helpers import count_queries
from tests.factories import UserFactory
from tests.factories.equipment import DeviceFactory, SparePartRequestFactory, WorkOrderFactory
from tests.workorders.conftest import png_bytes
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def team(client_for):
    """An engineer and a nurse sharing a device; a work order the nurse reported on it; another
    engineer's device with a work order reported by another nurse."""
    engineer, nurse = UserFactory(engineer=True), UserFactory(nurse=True)
    device = DeviceFactory(assigned_engineer=engineer, assigned_nurses=[nurse])
    order = WorkOrderFactory(device=device, created_by=nurse)
    other = WorkOrderFactory()
    return SimpleNamespace(
        engineer=engineer, nurse=nurse, device=device, order=order, other=other,
        clients={Role.ADMIN: client_for(Role.ADMIN), Role.ENGINEER: client_for(engineer),
                 Role.NURSE: client_for(nurse), Role.DOCTOR: client_for(Role.DOCTOR),
                 Role.PATIENT: client_for(Role.PATIENT)},
    )


def ids(response):
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


# --- who may call what ---------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, denied", [
    ("get", "/api/workorders/", [Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/workorders/{id}/", [Role.DOCTOR, Role.PATIENT]),
    ("post", "/api/workorders/", [Role.ADMIN, Role.DOCTOR, Role.PATIENT]),
    ("patch", "/api/workorders/{id}/", [Role.DOCTOR, Role.PATIENT]),
    ("put", "/api/workorders/{id}/", [Role.DOCTOR, Role.PATIENT]),
    ("delete", "/api/workorders/{id}/", [Role.ENGINEER, Role.NURSE, Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/workorders/{id}/pdf/", [Role.DOCTOR, Role.PATIENT]),
    ("get", "/api/workorders/{id}/photo/", [Role.DOCTOR, Role.PATIENT]),
])
def test_roles_that_may_never_use_a_work_order_route_get_403(team, method, path, denied):
    for role in denied:
        response = getattr(team.clients[role], method)(
            path.format(id=team.order.id),
            {"device": team.device.id, "description": "x", "work_type": "CM", "priority": "low", "status": "closed"},
            format="json")
        assert_error(response, 403, "permission_denied")
    team.order.refresh_from_db()
    assert team.order.status == "open" and team.order.description == "Alarm does not stop"
    assert WorkOrder.objects.count() == 2


def test_each_role_lists_exactly_its_work_orders(team):
    mine_as_engineer = WorkOrderFactory(device=team.device, created_by=UserFactory(nurse=True))
    assert ids(team.clients[Role.ADMIN].get("/api/workorders/")) == sorted(
        [team.order.id, team.other.id, mine_as_engineer.id])
    assert ids(team.clients[Role.ENGINEER].get("/api/workorders/")) == sorted([team.order.id, mine_as_engineer.id])
    assert ids(team.clients[Role.NURSE].get("/api/workorders/")) == [team.order.id]


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.NURSE])
@pytest.mark.parametrize("method, path", [
    ("get", "/api/workorders/{id}/"), ("patch", "/api/workorders/{id}/"), ("get", "/api/workorders/{id}/pdf/"),
    ("get", "/api/workorders/{id}/photo/"),
])
def test_work_order_outside_scope_is_404_like_a_missing_one(team, role, method, path):
    client = team.clients[role]
    outside = assert_error(getattr(client, method)(path.format(id=team.other.id), {"description": "x"},
                                                   format="json"), 404, "not_found")
    missing = assert_error(getattr(client, method)(path.format(id=999999), {"description": "x"}, format="json"),
                           404, "not_found")
    assert outside == missing
    team.other.refresh_from_db()
    assert team.other.description == "Alarm does not stop"


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

def post_with_photo(client, device, upload):
    return client.post("/api/workorders/", {"device": device.id, "description": "Cracked casing",
                                            "work_type": "CM", "priority": "high", "photo": upload},
                       format="multipart")


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


# --- updates and the status flow -----------------------------------------------------------------

def patch(client, order, body):
    return client.patch(f"/api/workorders/{order.id}/", body, format="json")


def test_engineer_moves_the_work_order_to_closed(team):
    engineer = team.clients[Role.ENGINEER]
    assert patch(engineer, team.order, {"status": "in_progress"}).json()["status"] == "in_progress"
    response = patch(engineer, team.order, {"status": "closed", "technical_action": "Replaced the fuse"})
    assert response.status_code == 200, response.content
    team.order.refresh_from_db()
    assert team.order.status == "closed" and team.order.technical_action == "Replaced the fuse"
    assert team.order.completed_date == TODAY()
    assert response.json()["completed_date"] == TODAY().isoformat()


def test_closing_needs_a_technical_action(team):
    engineer = team.clients[Role.ENGINEER]
    patch(engineer, team.order, {"status": "in_progress"})
    assert_error(patch(engineer, team.order, {"status": "closed"}), 400, fields=["technical_action"])
    assert_error(patch(engineer, team.order, {"status": "closed", "technical_action": "  "}), 400,
                 fields=["technical_action"])
    team.order.refresh_from_db()
    assert team.order.status == "in_progress" and team.order.completed_date is None


def test_technical_action_recorded_earlier_allows_closing(team):
    engineer = team.clients[Role.ENGINEER]
    patch(engineer, team.order, {"status": "in_progress"})
    patch(engineer, team.order, {"technical_action": "Cleaned the sensor"})
    assert patch(engineer, team.order, {"status": "closed"}).status_code == 200
    team.order.refresh_from_db()
    assert team.order.status == "closed" and team.order.technical_action == "Cleaned the sensor"


def test_open_cannot_jump_to_closed(team):
    response = patch(team.clients[Role.ENGINEER], team.order, {"status": "closed", "technical_action": "Done"})
    assert_error(response, 409, "invalid_transition")
    team.order.refresh_from_db()
    assert team.order.status == "open" and team.order.technical_action == ""


def test_in_progress_cannot_go_back_to_open(team):
    WorkOrder.objects.filter(pk=team.order.pk).update(status="in_progress")
    assert_error(patch(team.clients[Role.ADMIN], team.order, {"status": "open"}), 409, "invalid_transition")
    team.order.refresh_from_db()
    assert team.order.status == "in_progress"


@pytest.mark.parametrize("role, body", [
    (Role.ENGINEER, {"status": "in_progress"}), (Role.ENGINEER, {"technical_action": "More"}),
    (Role.ADMIN, {"description": "Edited"}), (Role.ADMIN, {"status": "open"}),
    (Role.NURSE, {"description": "Edited"}),
])
def test_closed_is_final(team, role, body):
    WorkOrder.objects.filter(pk=team.order.pk).update(status="closed", completed_date=TODAY(),
                                                      technical_action="Fixed")
    assert_error(patch(team.clients[role], team.order, body), 409)
    team.order.refresh_from_db()
    assert (team.order.status, team.order.technical_action, team.order.description) == (
        "closed", "Fixed", "Alarm does not stop")


@pytest.mark.parametrize("field, value", [("description", "x"), ("priority", "critical"), ("assigned_to", None)])
def test_engineer_may_only_change_status_and_technical_action(team, field, value):
    assert_error(patch(team.clients[Role.ENGINEER], team.order, {field: value}), 400, fields=[field])
    team.order.refresh_from_db()
    assert team.order.description == "Alarm does not stop" and team.order.priority == "medium"
    assert team.order.assigned_to == team.engineer


def test_nurse_edits_the_description_while_open_only(team):
    nurse = team.clients[Role.NURSE]
    assert patch(nurse, team.order, {"description": "Alarm and smoke"}).status_code == 200
    team.order.refresh_from_db()
    assert team.order.description == "Alarm and smoke"
    assert_error(patch(nurse, team.order, {"status": "in_progress"}), 400, fields=["status"])
    WorkOrder.objects.filter(pk=team.order.pk).update(status="in_progress")
    assert_error(patch(nurse, team.order, {"description": "Too late"}), 409, "work_order_not_open")
    team.order.refresh_from_db()
    assert team.order.description == "Alarm and smoke"


def test_admin_edits_any_field_including_assignment(team):
    new_engineer = UserFactory(engineer=True)
    due = TODAY() + datetime.timedelta(days=2)
    response = patch(team.clients[Role.ADMIN], team.order, {
        "assigned_to": new_engineer.id, "priority": "critical", "due_date": due.isoformat(),
        "description": "Rewritten", "status": "in_progress"})
    assert response.status_code == 200, response.content
    team.order.refresh_from_db()
    assert (team.order.assigned_to, team.order.priority, team.order.due_date, team.order.description,
            team.order.status) == (new_engineer, "critical", due, "Rewritten", "in_progress")
    # The previous engineer no longer sees it; the new one does.
    assert_error(team.clients[Role.ENGINEER].get(f"/api/workorders/{team.order.id}/"), 404)


def test_admin_cannot_assign_a_work_order_to_a_nurse(team):
    assert_error(patch(team.clients[Role.ADMIN], team.order, {"assigned_to": team.nurse.id}), 400,
                 fields=["assigned_to"])
    team.order.refresh_from_db()
    assert team.order.assigned_to == team.engineer


# --- delete --------------------------------------------------------------------------------------

def test_admin_deletes_a_work_order(team):
    assert team.clients[Role.ADMIN].delete(f"/api/workorders/{team.order.id}/").status_code == 204
    assert not WorkOrder.objects.filter(pk=team.order.pk).exists()


def test_work_order_with_spare_part_requests_cannot_be_deleted(team):
    SparePartRequestFactory(device=team.device, work_order=team.order)
    assert_error(team.clients[Role.ADMIN].delete(f"/api/workorders/{team.order.id}/"), 409, "work_order_in_use")
    assert WorkOrder.objects.filter(pk=team.order.pk).exists()


# --- filters and queries -------------------------------------------------------------------------

def test_work_order_filters(team):
    admin = team.clients[Role.ADMIN]
    late = WorkOrderFactory(device=team.device, priority="critical", work_type="PM",
                            due_date=TODAY() - datetime.timedelta(days=1))
    WorkOrderFactory(device=team.device, status="closed", completed_date=TODAY(),
                     due_date=TODAY() - datetime.timedelta(days=5))
    old = WorkOrderFactory(device=team.device)
    WorkOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    assert ids(admin.get("/api/workorders/?overdue=true")) == [late.id]
    assert late.id not in ids(admin.get("/api/workorders/?overdue=false"))
    assert ids(admin.get("/api/workorders/?priority=critical")) == [late.id]
    assert ids(admin.get("/api/workorders/?work_type=PM")) == [late.id]
    assert len(ids(admin.get("/api/workorders/?status=closed"))) == 1
    assert ids(admin.get(f"/api/workorders/?device={team.other.device_id}")) == [team.other.id]
    assert team.other.id not in ids(admin.get(f"/api/workorders/?assigned_to={team.engineer.id}"))
    since = (TODAY() - datetime.timedelta(days=10)).isoformat()
    assert old.id not in ids(admin.get(f"/api/workorders/?reported_from={since}"))
    assert ids(admin.get(f"/api/workorders/?reported_to={since}")) == [old.id]
    assert_error(admin.get("/api/workorders/?reported_from=yesterday"), 400, fields=["reported_from"])
    assert ids(admin.get(f"/api/workorders/?search={team.other.work_number}")) == [team.other.id]


def test_work_order_list_costs_the_same_queries_for_5_or_50(team, django_assert_max_num_queries):
    admin = team.clients[Role.ADMIN]
    small, _ = count_queries(lambda: admin.get("/api/workorders/?page_size=100"))
    WorkOrderFactory.create_batch(48)
    with django_assert_max_num_queries(small):
        response = admin.get("/api/workorders/?page_size=100")
    assert response.json()["count"] == 50 and all(o["location"] for o in response.json()["results"])


# --- PDF -----------------------------------------------------------------------------------------

def pdf_text(response):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_work_order_pdf_is_a_real_pdf_with_the_work_number(team):
    WorkOrder.objects.filter(pk=team.order.pk).update(technical_action="Swapped <the> board & tested")
    response = team.clients[Role.NURSE].get(f"/api/workorders/{team.order.id}/pdf/", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response)
    assert team.order.work_number in text and team.device.asset_number in text
    assert "Swapped <the> board & tested" in text


def test_work_order_pdf_includes_the_photo(team):
    response = post_with_photo(team.clients[Role.NURSE], team.device,
                               SimpleUploadedFile("p.png", png_bytes(size=(400, 300)), content_type="image/png"))
    order_id = response.json()["id"]
    pdf = team.clients[Role.ADMIN].get(f"/api/workorders/{order_id}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert sum(len(page.images) for page in reader.pages) == 1
    assert response.json()["work_number"] in pdf_text(pdf)


@pytest.mark.parametrize("query, field", [
    ("overdue=maybe", "overdue"),
    ("overdue=yes", "overdue"),
    ("device=99999999999999999999", "device"),
    ("device=1.5", "device"),
    ("assigned_to=99999999999999999999", "assigned_to"),
    ("assigned_to=me", "assigned_to"),
])
def test_work_order_filters_refuse_odd_values_with_400(team, query, field):
    assert_error(team.clients[Role.ENGINEER].get(f"/api/workorders/?{query}"), 400, fields=[field])


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


def test_detail_routes_ignore_list_filters_and_search(team):
    nurse = team.clients[Role.NURSE]
    detail = nurse.get(f"/api/workorders/{team.order.id}/?status=closed&overdue=true&search=nothing")
    assert detail.status_code == 200 and detail.json()["id"] == team.order.id
    assert nurse.get(f"/api/workorders/{team.order.id}/pdf/?search=nothing").status_code == 200
    response = nurse.patch(f"/api/workorders/{team.order.id}/?status=closed", {"description": "Louder"},
                           format="json")
    assert response.status_code == 200, response.content
    team.order.refresh_from_db()
    assert team.order.description == "Louder"


def test_ordering_by_priority_follows_urgency_not_the_alphabet(admin_client):
    for priority in ("medium", "critical", "low", "high"):
        WorkOrderFactory(priority=priority)
    urgent_first = [w["priority"] for w in admin_client.get("/api/workorders/?ordering=-priority").json()["results"]]
    assert urgent_first == ["critical", "high", "medium", "low"]
    calm_first = [w["priority"] for w in admin_client.get("/api/workorders/?ordering=priority").json()["results"]]
    assert calm_first == ["low", "medium", "high", "critical"]
