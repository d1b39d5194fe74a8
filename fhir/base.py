"""What every /fhir/ view shares: core's Bearer authentication and RolePermission (role_rules),
`application/fhir+json` in and out, OperationOutcome errors, and the search parameters' check."""

from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView

from core.db_router import ReplicaReadsMixin
from core.renderers import JSONRenderer
from fhir import outcome
from fhir.outcome import FHIR_JSON, FhirError

# Accept values (and `_format` values) answered with application/fhir+json.
ACCEPTED = {"application/fhir+json", "application/json+fhir", "application/json", "*/*", "application/*"}
FORMATS = {"json", "fhir+json", "application/json", "application/fhir+json", "application/json+fhir"}
# Parameters every interaction takes (http://hl7.org/fhir/R4B/http.html#parameters).
COMMON_PARAMETERS = {"_format", "_pretty"}


class FhirRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir+json"
    charset = "utf-8"


class FhirNegotiation(BaseContentNegotiation):
    """`_format` (json) wins over Accept; an Accept naming JSON, FHIR JSON or */* (or none) gets
    application/fhir+json; anything else (XML, HTML only) a 406 OperationOutcome."""

    def select_parser(self, request, parsers):
        return None  # read-only: no bodies

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        requested = request.query_params.get("_format")
        if requested is not None:
            if requested.strip() not in FORMATS:
                raise FhirError(f"_format={requested[:40]} is not served: only JSON (application/fhir+json).", 406)
            return renderer, renderer.media_type
        header = request.META.get("HTTP_ACCEPT", "")
        types = {part.split(";")[0].strip().lower() for part in header.split(",") if part.strip()}
        if types and not types & ACCEPTED:
            raise FhirError("Only application/fhir+json (or application/json) is served.", 406)
        return renderer, renderer.media_type


@extend_schema(exclude=True)  # not DRF-API-shaped: docs/fhir.md and /fhir/metadata describe it
class FhirView(ReplicaReadsMixin, APIView):
    """A read-only FHIR interaction: `get` only (read from the replica when there is one: core.db_router),
    errors as OperationOutcome."""

    renderer_classes = [FhirRenderer]
    content_negotiation_class = FhirNegotiation
    parser_classes = []
    http_method_names = ["get", "head", "options"]
    search_parameters = frozenset()  # a search's own parameters; anything else is a 400

    def get_exception_handler(self):
        return outcome.exception_handler

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except FhirError:
            if force:  # answering an error: FHIR JSON anyway
                return self.renderer_classes[0](), FHIR_JSON
            raise

    def options(self, request, *args, **kwargs):
        raise FhirError("OPTIONS is not served: see GET /fhir/metadata.", 405, "not-supported")

    def check_parameters(self, request):
        """An unknown search parameter is a 400 (FHIR's strict handling), naming it."""
        allowed = COMMON_PARAMETERS | self.search_parameters
        unknown = sorted(name for name in request.query_params if name not in allowed)
        if unknown:
            supported = ", ".join(sorted(self.search_parameters - {"_cursor"})) or "none"
            raise FhirError(f"Unknown search parameter(s): {', '.join(unknown)[:200]}. "
                            f"Supported: {supported}.", 400, "not-supported")
