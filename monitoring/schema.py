"""Swagger: document `Authorization: Device <api key>` as a security scheme of the ingest route."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DeviceKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "monitoring.authentication.DeviceKeyAuthentication"
    name = "deviceApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Device <api key>` (bedside monitors; POST /api/records/ only)"}
