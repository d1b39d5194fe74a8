"""OpenAPI additions: the error shape as a component, referenced by every operation's errors.

The hook documents the errors every route can answer, and only those: a public route (one that
takes no credentials) lists no 401/403 unless its view declares one (login refuses bad
credentials with 401); 409 only where something is written; 413/415 only where a body is read.
Any error a view declares without a body gets the `Error` shape, since every error has it.
"""

ERROR_COMPONENT = {
    "type": "object",
    "required": ["status", "code", "message", "errors"],
    "properties": {
        "status": {"type": "string", "enum": ["error"]},
        "code": {"type": "string", "example": "validation_error"},
        "message": {"type": "string", "example": "Invalid input: email."},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "example": {"email": ["This field is required."]},
        },
    },
}

_ERROR_DESCRIPTIONS = {
    "400": "Invalid input (errors names the fields)",
    "401": "Not authenticated",
    "403": "Your role may not use this route",
    "404": "Not found (or outside your scope)",
    "409": "Conflicts with the current state",
    "413": "Body too large",
    "415": "Unsupported media type (send JSON, or multipart where a file is uploaded)",
    "429": "Throttled (see Retry-After)",
    "503": "The database or the cache is unavailable: retry later",
}
_NEEDS_CREDENTIALS = {"401", "403"}
_NEEDS_BODY = {"413", "415"}

# DRF answers times without an offset ("09:30:00"); JSON Schema's "time" format demands one
# (RFC 3339 full-time), so a validator or a generated client would refuse every answer.
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


def _is_public(operation):
    """No security requirement, or only the empty one: the route takes no credentials."""
    return not any(operation.get("security") or [])


def _document_errors(method, operation):
    responses = operation.setdefault("responses", {})
    for code, description in _ERROR_DESCRIPTIONS.items():
        if code in _NEEDS_CREDENTIALS and _is_public(operation):
            continue
        if code in _NEEDS_BODY and "requestBody" not in operation:
            continue
        if code == "409" and method == "get":
            continue
        responses.setdefault(code, {"description": description})
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for code, response in responses.items():
        if code[0] in "45" and not response.get("content"):
            response["content"] = ref
            if response.get("description") in (None, "", "No response body"):
                response["description"] = _ERROR_DESCRIPTIONS.get(code, "Error")


def _partial_times(node):
    """Every `format: time` string becomes RFC 3339 partial-time (no offset), with a pattern."""
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            node["format"] = "partial-time"
            node.setdefault("pattern", TIME_PATTERN)
        for value in node.values():
            _partial_times(value)
    elif isinstance(node, list):
        for value in node:
            _partial_times(value)


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error shape on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_COMPONENT
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                _document_errors(method, operation)
    _partial_times(result)
    return result
