"""OpenAPI: what the login body really requires (a password, and a username or an email)."""

from drf_spectacular.extensions import OpenApiSerializerExtension


class LoginSerializerSchema(OpenApiSerializerExtension):
    """LoginSerializer's fields are each optional; its validate() wants one of the identifiers."""

    target_class = "accounts.serializers.LoginSerializer"

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["anyOf"] = [{"required": ["username"]}, {"required": ["email"]}]
        return schema
