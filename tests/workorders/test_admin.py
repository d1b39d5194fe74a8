"""Work orders in Django admin: the checklist and its results are shown, never edited; closing there
runs the same service (results required, a failed step opens the corrective work order)."""

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from tests.factories import UserFactory
from tests.factories.equipment import WorkOrderFactory
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db

STEPS = ["Check the battery", "Check the <alarm> & volume"]
LIST = "/admin/workorders/workorder/"


@pytest.fixture
def site():
    client = Client()
    client.force_login(UserFactory(admin=True, is_superuser=True))
    return client


def pm(**kwargs):
    kwargs.setdefault("status", "in_progress")
    return WorkOrderFactory(work_type="PM", checklist=STEPS, technical_action="PM done", **kwargs)


def close_action(site, order):
    return site.post(LIST, {"action": "close_work_orders", "_selected_action": [order.pk]}, follow=True)


def test_change_page_shows_the_checklist_with_results_read_only(site):
    order = pm(checklist_results=[{"step": STEPS[0], "passed": False, "remark": "Swollen"}])
    page = site.get(f"{LIST}{order.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Check the battery" in html and "FAILED" in html and "Swollen" in html and "not recorded" in html
    assert "Check the &lt;alarm&gt; &amp; volume" in html  # escaped
    assert 'name="checklist_results"' not in html and 'name="checklist"' not in html


def test_closed_pm_work_order_stays_read_only_with_its_follow_up_linked(site):
    order = pm(status="closed", completed_date=timezone.localdate(), completed_at=timezone.now(),
               checklist_results=[{"step": s, "passed": False, "remark": ""} for s in STEPS])
    follow_up = WorkOrderFactory(device=order.device, follow_up_of=order)
    page = site.get(f"{LIST}{order.pk}/change/")
    assert page.status_code == 200 and 'name="description"' not in page.content.decode()
    assert follow_up.work_number in page.content.decode()
    assert site.post(f"{LIST}{order.pk}/change/", {"description": "Rewritten"}).status_code == 403


def test_admin_close_action_needs_every_result(site):
    order = pm(checklist_results=[{"step": STEPS[0], "passed": True, "remark": ""}])
    response = close_action(site, order)
    html = response.content.decode()
    assert escape(STEPS[1]) in html and "missing" in html  # the service's message names the missing step
    order.refresh_from_db()
    assert order.status == "in_progress"


def test_admin_close_action_opens_the_corrective_work_order(site):
    order = pm(checklist_results=[{"step": STEPS[0], "passed": True, "remark": ""},
                                  {"step": STEPS[1], "passed": False, "remark": ""}])
    close_action(site, order)
    order.refresh_from_db()
    assert order.status == "closed" and order.completed_at is not None
    follow_up = WorkOrder.objects.get(follow_up_of=order)
    assert (follow_up.work_type, follow_up.priority, follow_up.device_id) == ("CM", "high", order.device_id)
