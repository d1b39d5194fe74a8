"""Django admin is a second door with the same rules: URL and event types checked, the secret
neither shown nor edited, the delivery log read-only."""

import pytest
from django.test import Client

from tests.factories import UserFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

ADD = "/admin/webhooks/webhookendpoint/add/"


@pytest.fixture
def site():
    client = Client()
    client.user = UserFactory(admin=True, is_superuser=True)
    client.force_login(client.user)
    return client


def form(**overrides):
    return {"url": "https://engine.example.org/hook", "event_types": '["alert.opened"]', "is_active": "on",
            "description": "", **overrides}


def test_admin_adds_an_endpoint_with_a_generated_secret_it_never_shows(site):
    response = site.post(ADD, form())
    assert response.status_code == 302, response.content
    endpoint = WebhookEndpoint.objects.get()
    assert len(endpoint.secret) == 64 and endpoint.created_by == site.user
    page = site.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in page


@pytest.mark.parametrize("overrides", [{"url": "http://engine.example.org/hook"},
                                       {"event_types": '["notification.created"]'}, {"event_types": "[]"}])
def test_admin_is_held_to_the_api_s_rules(site, settings, overrides):
    settings.DEBUG = False
    response = site.post(ADD, form(**overrides))
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_is_read_only(site):
    endpoint = WebhookEndpoint.objects.create(url="https://engine.example.org/hook", event_types=["alert.opened"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event_type="alert.opened", payload={"id": "x"})
    assert site.get("/admin/webhooks/webhookdelivery/add/").status_code == 403
    assert site.post(f"/admin/webhooks/webhookdelivery/{delivery.pk}/delete/", {"post": "yes"}).status_code == 403
    assert site.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/").status_code == 200
    assert WebhookDelivery.objects.count() == 1
