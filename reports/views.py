import datetime

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import ADMIN
from core.db_router import ReplicaReadsMixin
from reports.exports import reliability_csv_response
from reports.selectors import reliability_report
from reports.serializers import FORMATS, ReliabilityQuerySerializer, ReliabilityReportSerializer

EXAMPLE_FIGURES = {
    "observed_hours": 240.0, "downtime_hours": 9.6, "operating_hours": 230.4, "uptime_percent": 96.0,
    "failures": 2, "mtbf_hours": 115.2, "repairs": 2, "repair_hours": 5.2, "mttr_hours": 2.6,
}
EXAMPLE = {
    "from": "2026-03-01", "to": "2026-03-10", "time_zone": "UTC", "hours_in_range": 240.0,
    "devices": [{"id": 1, "asset_number": "REL-A", "name": "Infusion pump", "model": "IP-200", "hospital": 1,
                 "hospital_name": "Alpha", **EXAMPLE_FIGURES}],
    "models": [{"model": "IP-200", "devices": 1, **EXAMPLE_FIGURES}],
    "hospitals": [{"hospital": 1, "hospital_name": "Alpha", "devices": 1, **EXAMPLE_FIGURES}],
}

EXAMPLE_CSV = (
    "level,id,asset_number,name,model,hospital,hospital_name,devices,observed_hours,downtime_hours,"
    "operating_hours,uptime_percent,failures,mtbf_hours,repairs,repair_hours,mttr_hours\r\n"
    "device,1,REL-A,Infusion pump,IP-200,1,Alpha,,240.0,9.6,230.4,96.0,2,115.2,2,5.2,2.6\r\n"
    "model,,,,IP-200,,,1,240.0,9.6,230.4,96.0,2,115.2,2,5.2,2.6\r\n"
    "hospital,,,,,1,Alpha,1,240.0,9.6,230.4,96.0,2,115.2,2,5.2,2.6\r\n"
)


def local_midnight(day):
    """00:00 of a local date (settings.TIME_ZONE) as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@extend_schema(
    tags=["reports"],
    summary="Reliability per device, model and hospital: uptime, downtime, failures, MTBF, MTTR (admin)",
    description=(
        "Over the local dates `from`..`to` (both included: from `from` 00:00 to the day after `to` 00:00 in "
        "the hospital's time zone), at most 3 years. One report object, not a paginated list: every device "
        "in scope (by asset number), then the roll-ups per model and per hospital (by name), whose ratios are "
        "recomputed from their summed hours and counts. Hours are rounded to 2 decimals; MTBF is null without "
        "failures, MTTR null without closed repairs. `?format=csv` streams the same rows as a CSV attachment "
        "with a `level` column (device, model, hospital); errors stay JSON. Formulas: docs/reliability.md."
    ),
    parameters=[
        OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First day, inclusive (YYYY-MM-DD)."),
        OpenApiParameter("to", OpenApiTypes.DATE, required=True,
                         description="Last day, inclusive; on or after `from`, less than 3 years later."),
        OpenApiParameter("hospital", OpenApiTypes.INT, description="Only this hospital's devices (its id)."),
        OpenApiParameter("model", OpenApiTypes.STR, description="Only devices of this model (exact match)."),
        OpenApiParameter("format", OpenApiTypes.STR, enum=FORMATS, description="`csv`: a CSV attachment."),
    ],
    responses={
        (200, "application/json"): OpenApiResponse(ReliabilityReportSerializer, "The report",
                                                   examples=[OpenApiExample("Ten days of one device",
                                                                            value=EXAMPLE)]),
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, "The report as CSV (`?format=csv`)",
                                           examples=[OpenApiExample("The same report", value=EXAMPLE_CSV)]),
        400: None,
    },
)
class ReliabilityReportView(ReplicaReadsMixin, APIView):
    role_rules = {"get": ADMIN}

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv` is answered by the view itself (a streamed CSV); every other answer,
        # errors included, is JSON whatever `format` or the Accept header says.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request):
        query = ReliabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        first_day, last_day = params["from"], params["to"]
        report = reliability_report(start=local_midnight(first_day),
                                    end=local_midnight(last_day + datetime.timedelta(days=1)),
                                    hospital=params.get("hospital"), model=params.get("model"))
        if params.get("format") == "csv":
            return reliability_csv_response(report, first_day=first_day, last_day=last_day)
        return Response({
            "from": first_day.isoformat(), "to": last_day.isoformat(), "time_zone": settings.TIME_ZONE,
            "hours_in_range": report["hours_in_range"],
            "devices": list(report["devices"]),
            "models": list(report["models"]),
            "hospitals": list(report["hospitals"]),
        })
