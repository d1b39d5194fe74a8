"""The FHIR read interactions (`GET /fhir/<Type>/<id>`) and the CapabilityStatement.

Roles mirror the REST API's routes over the same rows (role_rules, read by core's RolePermission:
a role that may never read a resource gets 403); rows come from the same scopes (`visible_to`,
which adds break-glass grants, or the REST route's own, `records_for`), so an object outside the
caller's scope answers 404 exactly like a missing one. Every read of a patient's data is noted
for the read audit (audit.reads: one entry per patient per request)."""

from django.http import Http404
from rest_framework.response import Response

from accounts.roles import CLINICAL, DEVICE_READERS
from audit import reads
from audit.choices import DataKind
from clinical.models import DoctorProfile, Patient
from core.permissions import AUTHENTICATED, PUBLIC
from devices.models import Device
from fhir import mapping
from fhir.base import FhirView
from fhir.capability import capability_statement
from fhir.search import _ID
from monitoring.models import Reading


def scoped_get(queryset, pk):
    """The row of id `pk` among `queryset` (already scoped), else 404 (missing or out of scope)."""
    if not _ID.match(pk):
        raise Http404
    row = queryset.filter(pk=int(pk)).first()
    if row is None:
        raise Http404
    return row


class MetadataView(FhirView):
    """GET /fhir/metadata: what this server serves. Public (FHIR clients read it before signing in)."""

    role_rules = {"get": PUBLIC}
    authentication_classes = []

    def get(self, request):
        self.check_parameters(request)
        return Response(capability_statement(request))


class PatientReadView(FhirView):
    role_rules = {"get": CLINICAL}

    def get(self, request, pk):
        self.check_parameters(request)
        patient = scoped_get(Patient.objects.records_for(request.user), pk)
        reads.record_object_read(patient)
        return Response(mapping.patient_resource(patient))


class PractitionerReadView(FhirView):
    role_rules = {"get": AUTHENTICATED}

    def get(self, request, pk):
        self.check_parameters(request)
        doctor = scoped_get(DoctorProfile.objects.visible_to(request.user).select_related("user"), pk)
        return Response(mapping.practitioner_resource(doctor))


class DeviceReadView(FhirView):
    role_rules = {"get": DEVICE_READERS}

    def get(self, request, pk):
        self.check_parameters(request)
        device = scoped_get(Device.objects.visible_to(request.user), pk)
        if device.patient_id is not None:  # which monitor a patient is on: a read of their data
            reads.record_object_read(device)
        return Response(mapping.device_resource(device))


class ObservationReadView(FhirView):
    role_rules = {"get": CLINICAL}

    def get(self, request, pk):
        self.check_parameters(request)
        reading = scoped_get(Reading.objects.visible_to(request.user), pk)
        reads.record_read(DataKind.READINGS, [reading.patient_id], Reading, object_id=reading.pk)
        return Response(mapping.observation_resource(reading))
