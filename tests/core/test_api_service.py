import pytest
from django.db import DatabaseError
from redis.exceptions import ConnectionError as RedisConnectionError

from accounts.choices import Role
from core import views as core_views
from core.models import Counter
from core.testing import assert_error

pytestmark = pytest.mark.django_db


# --- the one error shape, from every layer --------------------------------------------------------

def test_401_shape(api_client):
    response = api_client.get("/api/users/")
    assert_error(response, 401, "not_authenticated")
    assert "Bearer" in response["WWW-Authenticate"]


def test_401_for_a_bad_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    assert_error(api_client.get("/api/auth/profile/"), 401, "token_not_valid")


def test_403_shape(client_for):
    assert_error(client_for(Role.NURSE).get("/api/users/"), 403, "permission_denied")


def test_404_shape_for_a_missing_object(admin_client):
    assert_error(admin_client.get("/api/users/424242/"), 404, "not_found")


@pytest.mark.parametrize("path", ["/api/nowhere/", "/api/nowhere", "/api/users/1/nested/deep/"])
def test_unknown_api_path_is_json_404(api_client, path):
    response = api_client.get(path)
    assert response["Content-Type"].startswith("application/json")
    assert_error(response, 404, "not_found")


def test_unknown_api_path_is_json_even_with_debug(api_client, settings):
    settings.DEBUG = True
    assert_error(api_client.post("/api/nowhere", {}, format="json"), 404, "not_found")


def test_405_shape(api_client):
    assert_error(api_client.get("/api/auth/login/"), 405, "method_not_allowed")


def test_malformed_json_is_400(api_client):
    response = api_client.post("/api/auth/login/", data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_validation_400_names_fields(api_client):
    body = assert_error(api_client.post("/api/auth/login/", {}, format="json"), 400, "validation_error",
                        fields=["password"])
    assert "password" in body["message"]


def test_unsupported_media_type_is_415(api_client):
    response = api_client.post("/api/auth/login/", data="username=x", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_too_large_body_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api_client.post("/api/auth/login/", {"username": "x" * 200, "password": "y"}, format="json")
    assert_error(response, 413, "payload_too_large")


def test_throttled_is_429_with_retry_after(api_client, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 1
    api_client.post("/api/auth/login/", {"username": "a", "password": "b"}, format="json")
    response = api_client.post("/api/auth/login/", {"username": "a", "password": "b"}, format="json")
    assert_error(response, 429, "throttled")
    assert response["Retry-After"].isdigit()


def test_unexpected_error_is_json_500_without_trace(api_client, monkeypatch):
    def explode(self, request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(core_views.ApiIndexView, "get", explode)
    client = api_client
    client.raise_request_exception = False
    response = client.get("/api/")
    body = assert_error(response, 500, "server_error")
    assert "secret internals" not in response.content.decode()
    assert body["errors"] == {}


def test_protected_error_maps_to_409():
    from django.db.models import ProtectedError

    from core.errors import exception_handler

    response = exception_handler(ProtectedError("in use", set()), {})
    assert response.status_code == 409 and response.data["code"] == "protected"


# --- service routes -------------------------------------------------------------------------------

def test_index_lists_resources_and_docs(api_client, admin_client):
    body = api_client.get("/api/").json()
    assert body["docs"]["swagger"].endswith("/api/docs/")
    assert body["resources"]["users"].endswith("/api/users/")
    for name, url in body["resources"].items():  # every listed resource exists (no JSON 404)
        assert admin_client.get(url).status_code != 404, name


def test_health_ok(api_client):
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok"}


def test_health_503_names_the_cache_when_it_is_down(api_client, monkeypatch):
    class DownCache:
        def set(self, *args, **kwargs):
            raise RedisConnectionError("connection refused")

    monkeypatch.setattr(core_views, "cache", DownCache())
    response = api_client.get("/api/health/")
    body = assert_error(response, 503, "service_unavailable", fields=["cache"])
    assert body["cache"] == "down" and body["database"] == "ok"


def test_health_503_names_the_database_when_it_is_down(api_client, monkeypatch):
    def broken():
        raise DatabaseError("gone")

    monkeypatch.setitem(core_views.HEALTH_CHECKS, "database", broken)
    body = assert_error(api_client.get("/api/health/"), 503, fields=["database"])
    assert body["database"] == "down" and body["cache"] == "ok"


def test_schema_and_docs_are_public_and_document_the_error_shape(api_client):
    schema = api_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    spec = schema.json()
    assert "Error" in spec["components"]["schemas"]
    login = spec["paths"]["/api/auth/login/"]["post"]
    assert "401" in login["responses"] and "429" in login["responses"]
    for path in ("/api/docs/", "/api/swagger/", "/api/redoc/"):
        page = api_client.get(path)
        assert page.status_code == 200 and b"<html" in page.content.lower()
        assert b"cdn.jsdelivr" not in page.content  # assets served by this server (sidecar)


def test_every_response_carries_a_request_id(api_client):
    generated = api_client.get("/api/health/")
    assert len(generated["X-Request-ID"]) == 32
    echoed = api_client.get("/api/health/", HTTP_X_REQUEST_ID="abc-123")
    assert echoed["X-Request-ID"] == "abc-123"
    sanitized = api_client.get("/api/health/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert sanitized["X-Request-ID"] != "bad id\nwith newline"


def test_counter_gives_consecutive_values():
    assert [Counter.next_value("k") for _ in range(3)] == [1, 2, 3]
    assert Counter.next_value("other") == 1


def test_counter_reserves_a_block_of_monthly_numbers_in_one_statement(django_assert_num_queries):
    from datetime import UTC, datetime

    november = datetime(2026, 11, 5, tzinfo=UTC)
    assert Counter.next_monthly_number("WO", november) == "WO-202611-0001"
    with django_assert_num_queries(1):
        block = Counter.next_monthly_numbers("WO", 3, november)
    assert block == ["WO-202611-0002", "WO-202611-0003", "WO-202611-0004"]
    assert Counter.next_monthly_number("WO", november) == "WO-202611-0005"


def test_cors_allows_the_vite_dev_origin(api_client):
    response = api_client.options("/api/health/", HTTP_ORIGIN="http://localhost:5173",
                                  HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert response["Access-Control-Allow-Origin"] == "http://localhost:5173"


def test_openapi_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


def test_unknown_api_path_is_json_404_for_writes_even_with_csrf_checks():
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    for method in ("post", "put", "patch", "delete"):
        assert_error(getattr(client, method)("/api/departments", {}, format="json"), 404, "not_found")


def test_options_describes_a_route_only_to_roles_that_may_use_it(client_for, api_client):
    assert client_for(Role.ADMIN).options("/api/users/").status_code == 200
    assert_error(client_for(Role.PATIENT).options("/api/users/"), 403)  # may use none of its actions
    assert_error(client_for(Role.NURSE).options("/api/pm-schedules/"), 403)
    assert_error(api_client.options("/api/users/"), 401)
    assert api_client.options("/api/auth/login/").status_code == 200


def test_options_allow_header_names_only_the_methods_the_role_may_use(client_for):
    engineer = client_for(Role.ENGINEER).options("/api/pm-schedules/")  # reads only
    assert engineer.status_code == 200
    assert sorted(engineer["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]
    assert "POST" not in engineer.json().get("actions", {})
    admin = client_for(Role.ADMIN).options("/api/pm-schedules/")
    assert sorted(admin["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]


def test_detail_routes_ignore_list_filters(admin_client):
    target = admin_client.user
    assert admin_client.get(f"/api/users/{target.id}/?role=patient&search=nobody").status_code == 200


def test_deploy_check_warns_about_a_console_email_backend(settings):
    from core.checks import email_backend_check

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert [w.id for w in email_backend_check(None)] == ["meditrack.W001"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert email_backend_check(None) == []


def test_django_error_log_lines_carry_the_request_id(api_client, caplog):
    api_client.get("/api/users/", HTTP_X_REQUEST_ID="trace-me-1")  # 401, logged by django.request
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(getattr(r, "request_id", None) == "trace-me-1" for r in records)


def test_head_works_wherever_get_does(api_client, client_for):
    assert api_client.head("/api/health/").status_code == 200
    assert api_client.head("/api/").status_code == 200
    assert client_for(Role.PATIENT).head("/api/auth/profile/").status_code == 200


def test_public_docs_ignore_a_stale_bearer_token(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200


def test_redoc_loads_nothing_from_outside(api_client):
    page = api_client.get("/api/redoc/").content.decode()
    assert "googleapis" not in page and "gstatic" not in page and "/static/" in page


def test_deeply_nested_json_is_a_400_not_a_500(api_client):
    body = "[" * 100_000 + "]" * 100_000
    assert_error(api_client.post("/api/auth/login/", data=body, content_type="application/json"), 400, "parse_error")


def test_form_bodies_are_refused_where_json_is_expected(api_client):
    response = api_client.post("/api/auth/login/", data="username=a&password=b",
                               content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


def test_errors_are_json_even_where_the_route_answers_a_file(admin_client):
    response = admin_client.get("/api/workorders/999999/pdf/", HTTP_ACCEPT="application/pdf")
    assert response["Content-Type"].startswith("application/json")
    assert_error(response, 404, "not_found")
