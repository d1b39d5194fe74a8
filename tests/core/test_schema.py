"""The OpenAPI schema documents what the routes really answer (each point a generated client broke on)."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from core.schema import TIME_PATTERN

PUBLIC_REFUSING_CREDENTIALS = {"/api/auth/login/", "/api/token/", "/api/auth/refresh/", "/api/token/refresh/",
                               "/api/auth/verify/", "/api/token/verify/"}


@pytest.fixture(scope="module")
def spec():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


def _schema_of(spec, response, media_type="application/json"):
    schema = response["content"][media_type]["schema"]
    return spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@pytest.mark.parametrize("path", ["/api/appointments/today/", "/api/appointments/upcoming/"])
def test_appointment_day_lists_are_documented_as_pages(spec, path):
    operation = spec["paths"][path]["get"]
    page = _schema_of(spec, operation["responses"]["200"])
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Appointment"}
    assert {"page", "page_size"} <= {parameter["name"] for parameter in operation["parameters"]}


def test_heart_rate_history_documents_the_cursor_page_and_the_buckets(spec):
    operation = spec["paths"]["/api/records/{patient_id}/"]["get"]
    history = _schema_of(spec, operation["responses"]["200"])
    shapes = [spec["components"]["schemas"][one["$ref"].rsplit("/", 1)[1]] for one in history["oneOf"]]
    page, buckets = shapes
    assert set(page["required"]) == {"next", "previous", "results"}
    assert set(buckets["required"]) == {"patient", "bucket", "from", "to", "source", "results"}
    assert buckets["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Bucket"}
    assert {"bucket", "from", "to", "cursor", "page_size"} <= {p["name"] for p in operation["parameters"]}
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}


def test_patient_login_link_is_nullable_in_every_patient_shape(spec):
    schemas = spec["components"]["schemas"]
    shapes = [name for name in schemas if name.startswith("Patient") and "user" in schemas[name].get("properties", {})]
    assert {"Patient", "PatientStaff"} <= set(shapes)
    for name in shapes:
        assert schemas[name]["properties"]["user"].get("nullable") is True, name


def test_document_download_documents_the_types_it_answers(spec):
    operation = spec["paths"]["/api/patients/{id}/documents/{doc_id}/download/"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"application/pdf", "image/png", "image/jpeg"}


def test_history_from_status_may_be_empty(spec):
    from_status = spec["components"]["schemas"]["AppointmentHistory"]["properties"]["from_status"]
    refs = {one["$ref"].rsplit("/", 1)[1] for one in from_status["oneOf"]}
    assert refs == {"AppointmentStatusEnum", "BlankEnum"}
    assert spec["components"]["schemas"]["BlankEnum"]["enum"] == [""]


def test_login_requires_a_username_or_an_email(spec):
    login = spec["components"]["schemas"]["LoginRequest"]
    assert login["required"] == ["password"]
    assert login["anyOf"] == [{"required": ["username"]}, {"required": ["email"]}]


def test_public_routes_list_no_401_or_403_unless_they_refuse_credentials(spec):
    public = {(path, method): operation for path, method, operation in _operations(spec)
              if not operation.get("security")}
    assert ("/api/auth/login/", "post") in public and ("/api/health/", "get") in public
    for (path, _method), operation in public.items():
        assert "403" not in operation["responses"], path
        assert ("401" in operation["responses"]) == (path in PUBLIC_REFUSING_CREDENTIALS), path


def test_protected_routes_list_401_and_403_and_every_error_has_the_error_shape(spec):
    for path, method, operation in _operations(spec):
        responses = operation["responses"]
        if operation.get("security"):
            assert {"401", "403"} <= set(responses), (method, path)
        assert "503" in responses, (method, path)
        assert ("415" in responses) == ("requestBody" in operation), (method, path)
        for code, response in responses.items():
            if code[0] in "45":
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}, (method, path, code)


def test_times_are_documented_without_an_offset(spec):
    times = [node for node in _walk(spec) if node.get("format") in {"time", "partial-time"}]
    assert times, "the slots' start and end times"
    for node in times:
        assert node["format"] == "partial-time" and node["pattern"] == TIME_PATTERN
    assert re.match(TIME_PATTERN, "09:30:00") and re.match(TIME_PATTERN, "09:30")
    assert not re.match(TIME_PATTERN, "25:00:00")
