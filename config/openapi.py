"""drf-spectacular settings: constant, so they live outside settings.py (which reads the environment)."""

SPECTACULAR_SETTINGS = {
    "TITLE": "MediTrack API",
    "DESCRIPTION": (
        "Hospital operations: medical equipment, clinical scheduling and remote patient monitoring. "
        "Every error answers `{status, code, message, errors}`. A read-only FHIR R4 facade (Patient, "
        "Practitioner, Device, Observation, Appointment, Slot, Patient/$everything) is served at `/fhir/` "
        "with the same Bearer tokens and scopes, outside this schema: its CapabilityStatement is "
        "`GET /fhir/metadata`, its documentation docs/fhir.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],  # public docs: a stale Authorization header must not turn them into 401
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`: give each choice set its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "ApprovalStatusEnum": "accounts.choices.ApprovalStatus",  # also spare-part requests (same values)
        "AppointmentStatusEnum": "clinical.choices.AppointmentStatus",
        "ConsultationStatusEnum": "clinical.choices.ConsultationStatus",
        "DeviceStatusEnum": "devices.choices.DeviceStatus",
        "WorkOrderStatusEnum": "workorders.choices.WorkOrderStatus",
        "AlertStatusEnum": "monitoring.choices.AlertStatus",
    },
    "SCHEMA_PATH_PREFIX": r"/api/",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.add_error_responses",
    ],
}
