"""OpenAPI additions: the error shape as a component, referenced by every operation's errors."""

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
    "429": "Throttled (see Retry-After)",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: document the error shape on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_COMPONENT
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in _ERROR_DESCRIPTIONS.items():
                if code == "409" and method == "get":
                    continue
                responses.setdefault(code, {"description": description, "content": ref})
    return result
