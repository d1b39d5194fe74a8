"""The audit log in Django admin: the changelist, its search and filters answer; nobody (a superuser
included) can add, change or delete an entry, and there is no delete action."""

import pytest
from django.contrib import admin
from django.test import Client

from audit.choices import AuditAction
from audit.models import AuditEntry
from tests.audit.helpers import entry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/audit/auditentry/"


@pytest.fixture
def site():
    client = Client()
    client.force_login(UserFactory(admin=True, is_superuser=True))
    return client


def test_our_admin_replaces_django_auditlogs():
    assert type(admin.site._registry[AuditEntry]).__module__ == "audit.admin"


def test_changelist_search_and_filters_answer(site):
    written = entry(action=AuditAction.READ, break_glass=True, cid="trace-77", patient=77)
    page = site.get(LIST)
    assert page.status_code == 200 and b"patient #5" in page.content
    for query in ("?q=trace-77", "?q=77", "?action__exact=3", "?data_kind__exact=patient_record",
                  "?break_glass__exact=1", "?actor_role__exact=doctor",
                  f"?content_type__id__exact={written.content_type_id}",
                  "?timestamp__year=2026&timestamp__month=3"):
        response = site.get(LIST + query)
        assert response.status_code == 200, query
    assert b"trace-77" in site.get(LIST + "?q=trace-77").content
    assert b"trace-77" not in site.get(LIST + "?break_glass__exact=0").content


def test_the_entry_page_is_a_view_not_a_form(site):
    written = entry(changes={"status": ["open", "closed"]})
    page = site.get(f"{LIST}{written.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "closed" in content and "<textarea" not in content and 'name="_save"' not in content
    assert f"{LIST}{written.pk}/delete/" not in content


def test_nobody_can_add_change_or_delete_an_entry(site):
    written = entry(cid="untouched")
    before = AuditEntry.objects.count()
    assert site.get(f"{LIST}add/").status_code == 403
    assert site.post(f"{LIST}add/", {"object_repr": "forged", "action": 0}).status_code == 403
    assert site.post(f"{LIST}{written.pk}/change/", {"object_repr": "rewritten", "cid": "x"}).status_code == 403
    assert site.get(f"{LIST}{written.pk}/delete/").status_code == 403
    assert site.post(f"{LIST}{written.pk}/delete/", {"post": "yes"}).status_code == 403
    # No bulk action either: the list has no action form, and posting delete_selected does nothing.
    assert b'name="action"' not in site.get(LIST).content
    site.post(LIST, {"action": "delete_selected", "_selected_action": [written.pk], "post": "yes"})
    written.refresh_from_db()
    assert (AuditEntry.objects.count(), written.object_repr, written.cid) == (before, "patient #5", "untouched")


def test_the_admin_grants_no_write_permission_to_a_superuser(rf):
    request = rf.get(LIST)
    request.user = UserFactory(admin=True, is_superuser=True)
    model_admin = admin.site._registry[AuditEntry]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)
