"""The CapabilityStatement (`GET /fhir/metadata`): exactly what fhir/urls.py serves.

SERVED is the one list: each resource type, its interactions, its search parameters and its
operations. tests/fhir/test_metadata.py walks it against the URL conf and calls each."""

from django.conf import settings

from fhir import mapping
from fhir.paging import DEFAULT_COUNT, MAX_COUNT
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

FHIR_VERSION = "4.3.0"  # R4B, the models every resource is validated by (R4-compatible for these)
RELEASED = "2026-12-01"

SERVED = {
    "Patient": {
        "interactions": ["read", "search-type"],
        "search": {"identifier": ("token", f"The medical record number, `{mapping.MRN_SYSTEM}|<MRN>` or `<MRN>`")},
        "operations": {"everything": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
    },
    "Practitioner": {"interactions": ["read"], "search": {}},
    "Device": {"interactions": ["read"], "search": {}},
    "Observation": {
        "interactions": ["read", "search-type"],
        "profile": mapping.HEART_RATE_PROFILE,
        "search": {
            "patient": ("reference", "Required: the patient (`<id>` or `Patient/<id>`)"),
            "code": ("token", f"`{mapping.LOINC}|{mapping.HEART_RATE}` (heart rate), the only code served"),
            "date": ("date", "effectiveDateTime with ge, gt, le, lt or eq; may repeat (all apply)"),
        },
    },
    "Appointment": {"interactions": ["search-type"],
                    "search": {"patient": ("reference", "The patient (`<id>` or `Patient/<id>`)")}},
    "Slot": {"interactions": ["search-type"],
             "search": {"schedule": ("reference", "The doctor's schedule: `Schedule/<doctor profile id>`")}},
}


def capability_statement(request):
    resources = []
    for kind, spec in SERVED.items():
        resource = {
            "type": kind,
            "interaction": [{"code": code} for code in spec["interactions"]],
            "searchParam": [{"name": name, "type": kind_, "documentation": text}
                            for name, (kind_, text) in spec["search"].items()],
            "operation": [{"name": name, "definition": url} for name, url in spec.get("operations", {}).items()],
        }
        if "profile" in spec:
            resource["supportedProfile"] = [spec["profile"]]
        resources.append({key: value for key, value in resource.items() if value})
    body = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "MediTrack",
        "kind": "instance",
        "software": {"name": "MediTrack", "version": getattr(settings, "SPECTACULAR_SETTINGS", {}).get("VERSION", "1")},
        "implementation": {"description": "MediTrack read-only FHIR facade",
                           "url": request.build_absolute_uri("/fhir/")},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": (f"Read-only. Searches page by keyset: `_count` (default {DEFAULT_COUNT}, at most "
                              f"{MAX_COUNT}) and the Bundle's `next` link; an unknown parameter is a 400."),
            "security": {"cors": True, "description": "Authorization: Bearer <access JWT> from POST /api/auth/login/ "
                                                      "(the REST API's tokens and scopes)."},
            "resource": resources,
        }],
    }
    CapabilityStatement.model_validate(body)
    return body
