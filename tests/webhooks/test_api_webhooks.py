"""/api/webhooks/: admin only, the secret shown once, URL and event-type rules, strict fields, and
the deliveries list (status, attempts, last response code; paginated, filtered by status)."""

import pytest

from accounts.choices import Role
from core.testing import assert_error
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/"
HTTPS = "https://integration.example.org/hooks/meditrack"


def detail(endpoint, suffix=""):
    return f"{URL}{endpoint.pk}/{suffix}"


def body(**overrides):
    return {"url": HTTPS, "event_types": ["alert.opened", "workorder.created"], "description": "Integration engine",
            **overrides}


@pytest.fixture
def endpoint():
    return WebhookEndpoint.objects.create(url=HTTPS, event_types=["alert.opened"], secret="s" * 32)


def test_admin_creates_an_endpoint_and_sees_its_generated_secret_only_in_the_answer(admin_client):
    response = admin_client.post(URL, body(), format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    stored = WebhookEndpoint.objects.get()
    assert created["secret"] == stored.secret and len(stored.secret) == 64
    assert created["url"] == HTTPS and created["event_types"] == ["alert.opened", "workorder.created"]
    assert created["is_active"] is True and created["created_by"] == admin_client.user.pk
    assert stored.created_by == admin_client.user
    assert "secret" not in admin_client.get(detail(stored)).json()
    assert "secret" not in admin_client.get(URL).json()["results"][0]


def test_admin_may_give_the_secret_and_rotate_it_without_it_being_shown(admin_client, endpoint):
    response = admin_client.post(URL, body(secret="a-secret-the-receiver-already-has"), format="json")
    assert response.status_code == 201 and response.json()["secret"] == "a-secret-the-receiver-already-has"
    response = admin_client.patch(detail(endpoint), {"secret": "r" * 40, "is_active": False}, format="json")
    assert response.status_code == 200 and "secret" not in response.json()
    endpoint.refresh_from_db()
    assert endpoint.secret == "r" * 40 and endpoint.is_active is False


def test_admin_replaces_updates_lists_and_deletes(admin_client, endpoint):
    response = admin_client.put(detail(endpoint), body(event_types=["device.offline"]), format="json")
    assert response.status_code == 200 and response.json()["event_types"] == ["device.offline"]
    assert admin_client.get(URL, {"is_active": "true"}).json()["count"] == 1
    assert admin_client.get(URL, {"is_active": "false"}).json()["count"] == 0
    assert admin_client.get(URL, {"search": "Integration"}).json()["count"] == 1
    WebhookDelivery.objects.create(endpoint=endpoint, event_type="device.offline", payload={})
    assert admin_client.delete(detail(endpoint)).status_code == 204
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.NURSE, Role.ENGINEER, Role.PATIENT])
def test_other_roles_are_refused_every_action(client_for, role, endpoint):
    client = client_for(role)
    assert client.get(URL).status_code == 403
    assert client.get(detail(endpoint)).status_code == 403
    assert client.get(detail(endpoint, "deliveries/")).status_code == 403
    assert client.post(URL, body(), format="json").status_code == 403
    assert client.patch(detail(endpoint), {"is_active": False}, format="json").status_code == 403
    assert client.put(detail(endpoint), body(), format="json").status_code == 403
    assert client.delete(detail(endpoint)).status_code == 403
    assert WebhookEndpoint.objects.count() == 1 and WebhookEndpoint.objects.get().is_active


def test_anonymous_callers_are_asked_to_sign_in(api_client, endpoint):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, body(), format="json").status_code == 401


def test_a_missing_endpoint_is_a_404(admin_client):
    assert_error(admin_client.get(f"{URL}999999/"), 404)
    assert_error(admin_client.get(f"{URL}999999/deliveries/"), 404)


@pytest.mark.parametrize("url", ["http://integration.example.org/hook", "ftp://integration.example.org/hook",
                                 "file:///etc/passwd", "https://user:pw@integration.example.org/hook", "not a url"])
def test_a_url_that_is_not_plain_https_is_a_400_naming_url(admin_client, settings, url):
    settings.DEBUG = False
    assert_error(admin_client.post(URL, body(url=url), format="json"), 400, fields=["url"])
    assert not WebhookEndpoint.objects.exists()


def test_http_is_accepted_with_debug_on_but_no_other_scheme(admin_client, settings):
    settings.DEBUG = True
    assert admin_client.post(URL, body(url="http://127.0.0.1:9000/hook"), format="json").status_code == 201
    assert_error(admin_client.post(URL, body(url="ftp://127.0.0.1/hook"), format="json"), 400, fields=["url"])
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(("overrides", "field"), [
    ({"event_types": []}, "event_types"),
    ({"event_types": ["alert.opened", "alert.opened"]}, "event_types"),
    ({"event_types": ["patient.created"]}, "event_types"),
    ({"event_types": ["notification.created"]}, "event_types"),  # per-user: not for webhooks
    ({"event_types": "alert.opened"}, "event_types"),
    ({"secret": "short"}, "secret"),
    ({"secret": 12345678901234567890}, "secret"),
    ({"is_active": "maybe"}, "is_active"),
    ({"description": "x" * 201}, "description"),
    ({"colour": "blue"}, "colour"),  # unknown
    ({"id": 5}, "id"),  # read-only
    ({"created_by": 1}, "created_by"),
])
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(admin_client, overrides, field):
    assert_error(admin_client.post(URL, body(**overrides), format="json"), 400, fields=[field])
    assert not WebhookEndpoint.objects.exists()


def test_a_bad_patch_changes_nothing(admin_client, endpoint):
    assert_error(admin_client.patch(detail(endpoint), {"url": "http://x.example/", "colour": 1}, format="json"),
                 400, fields=["url", "colour"])
    endpoint.refresh_from_db()
    assert endpoint.url == HTTPS


def test_deliveries_list_shows_status_attempts_and_last_code_newest_first_filtered_by_status(
        admin_client, endpoint, django_assert_max_num_queries):
    other = WebhookEndpoint.objects.create(url=HTTPS, event_types=["alert.opened"])
    made = [WebhookDelivery.objects.create(endpoint=endpoint, event_type="alert.opened", payload={"n": n},
                                           status=status, attempts=attempts, last_response_code=code)
            for n, (status, attempts, code) in enumerate([(DeliveryStatus.SUCCEEDED, 2, 200),
                                                          (DeliveryStatus.RETRYING, 1, 500),
                                                          (DeliveryStatus.FAILED, 30, 503)])]
    WebhookDelivery.objects.create(endpoint=other, event_type="alert.opened", payload={})
    with django_assert_max_num_queries(6):
        response = admin_client.get(detail(endpoint, "deliveries/"))
    page = response.json()
    assert page["count"] == 3 and [row["id"] for row in page["results"]] == [d.pk for d in reversed(made)]
    row = page["results"][1]
    assert (row["status"], row["attempts"], row["last_response_code"]) == ("retrying", 1, 500)
    assert row["delivery_id"] == str(made[1].delivery_id)
    retrying = admin_client.get(detail(endpoint, "deliveries/"), {"status": "retrying"}).json()
    assert [row["id"] for row in retrying["results"]] == [made[1].pk]
    paged = admin_client.get(detail(endpoint, "deliveries/"), {"page_size": 2}).json()
    assert len(paged["results"]) == 2 and paged["next"]
    assert_error(admin_client.get(detail(endpoint, "deliveries/"), {"status": "lost"}), 400, fields=["status"])
