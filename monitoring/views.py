from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import ADMIN, CARE_TEAM, CLINICAL
from audit import reads
from audit.choices import DataKind
from clinical.models import Patient
from core.authentication import BearerAuthentication
from core.db_router import ReplicaReadsMixin
from core.pagination import CursorPagination
from core.viewsets import BaseViewSet, ReadOnlyModelViewSet
from devices.models import Device
from monitoring import selectors, services
from monitoring.authentication import DEVICE_PRINCIPAL, DeviceKeyAuthentication, DevicePrincipal
from monitoring.choices import BUCKETS
from monitoring.filters import AlertFilter
from monitoring.ingest import parse_batch
from monitoring.models import Alert, DeviceApiKey, Reading
from monitoring.serializers import (
    AlertResolveSerializer,
    AlertSerializer,
    BucketHistorySerializer,
    DeviceApiKeySerializer,
    HistoryQuerySerializer,
    IngestResultSerializer,
    IssuedApiKeySerializer,
    ReadingInSerializer,
    ReadingSerializer,
)

MAX_BUCKETS = 10_000
DEFAULT_BUCKET_WINDOW = timedelta(hours=24)


class RecordIngestView(APIView):
    authentication_classes = [BearerAuthentication, DeviceKeyAuthentication]
    role_rules = {"post": {*CARE_TEAM, DEVICE_PRINCIPAL}}

    @extend_schema(
        tags=["monitoring"], request=ReadingInSerializer(many=True), responses={201: IngestResultSerializer},
        summary="Post one reading or a batch of up to 5,000 (idempotent per device and instant)",
        description="Body: one reading object, a list of them, or `{\"readings\": [...]}`. A bad item rejects "
                    "the whole batch (400, `errors` key `items[<index>].<field>`), and nothing is stored. "
                    "Accepts `Authorization: Device <api key>` as well as a staff JWT.",
    )
    def post(self, request):
        principal = request.user if isinstance(request.user, DevicePrincipal) else None
        batch = parse_batch(request.data, user=request.user, device_key=principal)
        result = services.readings_ingest(batch)
        return Response(IngestResultSerializer(result).data, status=status.HTTP_201_CREATED)


class HistoryPagination(CursorPagination):
    ordering = ("-recorded_at", "-id")


@extend_schema(
    tags=["monitoring"],
    summary="A patient's heart-rate history, newest first (cursor pages), or time buckets",
    parameters=[
        OpenApiParameter("from", OpenApiTypes.DATETIME, description="Start (inclusive)."),
        OpenApiParameter("to", OpenApiTypes.DATETIME, description="End (exclusive)."),
        OpenApiParameter("bucket", OpenApiTypes.STR, enum=sorted(BUCKETS),
                         description="Answer min/max/avg/count per bucket, oldest first (default window: "
                                     "the last 24 hours)."),
        OpenApiParameter("cursor", OpenApiTypes.STR, description="The page cursor (without `bucket`)."),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="Readings per page, at most 100 "
                                                                    "(without `bucket`)."),
    ],
    responses={200: PolymorphicProxySerializer(
        component_name="HeartRateHistory", resource_type_field_name=None,
        serializers=[inline_serializer("ReadingPage", {
            "next": serializers.URLField(allow_null=True), "previous": serializers.URLField(allow_null=True),
            "results": ReadingSerializer(many=True)}), BucketHistorySerializer],
    ), 400: None},
)
class PatientHistoryView(ReplicaReadsMixin, generics.GenericAPIView):
    role_rules = {"get": CLINICAL}
    serializer_class = ReadingSerializer
    pagination_class = HistoryPagination
    filter_backends = []

    def get(self, request, patient_id):
        patient = get_object_or_404(Patient.objects.visible_to(request.user), pk=patient_id)
        reads.record_read(DataKind.READINGS, [patient.pk], Reading)  # one entry per request, raw or buckets
        query = HistoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if "bucket" in params:
            return self._buckets(patient, params)
        readings = Reading.objects.filter(patient=patient)
        if "from" in params:
            readings = readings.filter(recorded_at__gte=params["from"])
        if "to" in params:
            readings = readings.filter(recorded_at__lt=params["to"])
        page = self.paginate_queryset(readings)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _buckets(self, patient, params):
        seconds = BUCKETS[params["bucket"]]
        end = params.get("to") or timezone.now()
        start = params.get("from") or end - DEFAULT_BUCKET_WINDOW
        if (end - start).total_seconds() / seconds > MAX_BUCKETS:
            raise ValidationError({"bucket": [_("At most %(count)s buckets: use a wider bucket or a "
                                                "shorter window.") % {"count": MAX_BUCKETS}]})
        source, buckets = selectors.heart_rate_buckets(patient_id=patient.pk, start=start, end=end,
                                                       seconds=seconds)
        body = {"patient": patient.pk, "bucket": params["bucket"], "from": start, "to": end, "source": source,
                "results": buckets}
        return Response(BucketHistorySerializer(body).data)


@extend_schema_view(
    list=extend_schema(
        summary="Heart-rate and monitor-offline alerts of the patients in the caller's scope",
        description="An alert opens only on a sustained breach and resolves by itself after a sustained "
                    "recovery inside the band by the margin (see docs/monitoring.md). Filters: `status`, "
                    "`severity`, `kind` (`tachycardia`, `bradycardia`, `device_offline`), `patient`, `device`, "
                    "`device_suspect`, `escalation_level__gte`.",
    ),
    retrieve=extend_schema(summary="One alert"),
)
@extend_schema(tags=["monitoring"])
class AlertViewSet(ReadOnlyModelViewSet):
    role_rules = {"list": CARE_TEAM, "retrieve": CARE_TEAM, "acknowledge": CARE_TEAM, "resolve": CARE_TEAM}
    model = Alert
    serializer_class = AlertSerializer
    write_actions = {"acknowledge", "resolve"}
    filterset_class = AlertFilter
    search_fields = ["kind", "severity", "note", "patient__last_name", "patient__first_name",
                     "patient__medical_record_number"]
    ordering_fields = ["last_breach_at", "opened_at", "severity", "breach_count", "escalation_level"]

    @extend_schema(request=None, responses={200: AlertSerializer}, summary="Acknowledge an open alert")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self.respond(services.alert_acknowledge(alert=self.get_object(), by=request.user))

    @extend_schema(request=AlertResolveSerializer, responses={200: AlertSerializer},
                   summary="Resolve an open or acknowledged alert")
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        body = AlertResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self.respond(services.alert_resolve(alert=self.get_object(), by=request.user,
                                                   note=body.validated_data.get("note", "")))


@extend_schema_view(
    list=extend_schema(summary="A device's ingest keys (prefix and dates only)"),
    create=extend_schema(summary="Issue an ingest key: the key is shown once", request=DeviceApiKeySerializer,
                         responses={201: IssuedApiKeySerializer}),
    destroy=extend_schema(summary="Revoke one key"),
)
@extend_schema(tags=["monitoring"])
class DeviceApiKeyViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, BaseViewSet):
    role_rules = {"list": ADMIN, "create": ADMIN, "destroy": ADMIN,
                  "revoke_all": ADMIN}
    serializer_class = DeviceApiKeySerializer
    queryset = DeviceApiKey.objects.none()  # for the schema; base_queryset() scopes to the device
    scoped = False  # the scope is the parent's: a device the caller sees, else 404
    search_fields = ["name", "prefix"]
    ordering_fields = ["created_at", "last_used_at", "name"]

    def device(self):
        return get_object_or_404(Device.objects.visible_to(self.request.user), pk=self.kwargs["device_id"])

    def base_queryset(self):
        return DeviceApiKey.objects.filter(device=self.device())

    def create(self, request, *args, **kwargs):
        # Not respond(): the raw key is in this one answer only, never in a re-read.
        body = DeviceApiKeySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        key, raw = services.api_key_issue(device=self.device(), by=request.user,
                                          name=body.validated_data.get("name", ""))
        key.key = raw
        return Response(IssuedApiKeySerializer(key).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.api_keys_revoke(keys=DeviceApiKey.objects.filter(pk=instance.pk))

    @extend_schema(summary="Revoke every key of the device", request=None, responses={204: None},
                   operation_id="devices_api_keys_revoke_all")
    def revoke_all(self, request, *args, **kwargs):
        services.api_keys_revoke(keys=self.get_queryset())
        return Response(status=status.HTTP_204_NO_CONTENT)
