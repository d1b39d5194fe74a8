"""Consultations: their transitions, vital signs, prescriptions, notes and PDF."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import CLINICAL, CONSULTATION_READERS, DOCTOR, DOCTOR_NURSE
from audit import reads
from clinical import pdf, services
from clinical.filters import ConsultationFilter
from clinical.models import Consultation
from clinical.serializers import (
    ConsultationNoteSerializer,
    ConsultationSerializer,
    ConsultationUpdateSerializer,
    PrescriptionSerializer,
    VitalSignsSerializer,
)
from clinical.views.common import CONSULTATION_ORDERING, CONSULTATION_SEARCH
from core.viewsets import BaseViewSet, CreateMixin, UpdateMixin, nested_list_parameters

# Nested lists: the same keywords for nested_list() and for nested_list_parameters() in its schema.
VITALS_LIST = {"ordering_fields": ["recorded_at", "id"], "ordering": ["recorded_at", "id"]}
PRESCRIPTION_LIST = {"ordering_fields": ["created_at", "medication", "id"], "ordering": ["created_at", "id"],
                     "search_fields": ["medication", "instructions"]}
NOTE_LIST = {"ordering_fields": ["created_at", "note_type", "id"], "ordering": ["created_at", "id"],
             "search_fields": ["content"]}


def _consultation_action(summary):
    return extend_schema(summary=summary, request=None, responses=ConsultationSerializer)


@extend_schema_view(
    list=extend_schema(summary="Consultations in the caller's scope"),
    retrieve=extend_schema(summary="A consultation"),
    create=extend_schema(summary="Open the consultation of one of your appointments"),
    update=extend_schema(summary="Update a consultation (409 once completed)"),
    partial_update=extend_schema(summary="Partly update a consultation (409 once completed)"),
)
@extend_schema(tags=["consultations"])
class ConsultationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CreateMixin, UpdateMixin, BaseViewSet):
    model = Consultation
    read_serializer_class = ConsultationSerializer
    write_actions = BaseViewSet.write_actions | {
        "start", "start_consultation", "complete", "complete_consultation", "add_vital_signs", "add_prescription",
        "add_note"}
    role_rules = {
        # The contract lists who reads /consultations/; the pdf and the nested lists are "scoped": a
        # department nurse reads them too (visible_to decides which).
        "list": CONSULTATION_READERS, "retrieve": CONSULTATION_READERS, "pdf": CLINICAL,
        **{name: DOCTOR for name in ("create", "update", "partial_update", "start", "start_consultation",
                                     "complete", "complete_consultation", "add_prescription", "add_note")},
        "vital_signs": CLINICAL, "add_vital_signs": DOCTOR_NURSE,
        "prescriptions": CLINICAL, "notes": CLINICAL,
    }
    filterset_class = ConsultationFilter
    search_fields = CONSULTATION_SEARCH
    ordering_fields = CONSULTATION_ORDERING

    def optimise(self, queryset):
        return queryset.select_related("appointment")

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ConsultationUpdateSerializer
        if self.action in ("vital_signs", "add_vital_signs"):
            return VitalSignsSerializer
        if self.action in ("prescriptions", "add_prescription"):
            return PrescriptionSerializer
        if self.action in ("notes", "add_note"):
            return ConsultationNoteSerializer
        return ConsultationSerializer

    def perform_create(self, serializer):
        serializer.instance = services.consultation_create(by=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.consultation_update(consultation=serializer.instance, by=self.request.user,
                                                           **serializer.validated_data)

    def _start(self):
        return self.respond(services.consultation_start(consultation=self.get_object(), by=self.request.user))

    def _complete(self):
        return self.respond(services.consultation_complete(consultation=self.get_object(), by=self.request.user))

    @_consultation_action("Start the consultation (its appointment becomes in_progress)")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._start()

    @_consultation_action("Start the consultation (alias of start/)")
    @action(detail=True, methods=["post"])
    def start_consultation(self, request, pk=None):
        return self._start()

    @_consultation_action("Complete and lock the consultation (and complete its appointment)")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._complete()

    @_consultation_action("Complete and lock the consultation (alias of complete/)")
    @action(detail=True, methods=["post"])
    def complete_consultation(self, request, pk=None):
        return self._complete()

    def _add(self, adder):
        consultation = self.get_object()
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        item = adder(consultation=consultation, by=self.request.user, **serializer.validated_data)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Vital signs recorded in the consultation", filters=False,
                   parameters=nested_list_parameters(**VITALS_LIST), responses=VitalSignsSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="vital-signs")
    def vital_signs(self, request, pk=None):
        return self.nested_list(self.get_object().vital_signs.all(), VitalSignsSerializer, **VITALS_LIST)

    @extend_schema(summary="Record vital signs (409 once the consultation is completed)",
                   responses={201: VitalSignsSerializer})
    @vital_signs.mapping.post
    def add_vital_signs(self, request, pk=None):
        return self._add(services.vital_signs_add)

    @extend_schema(summary="Prescriptions of the consultation", filters=False,
                   parameters=nested_list_parameters(**PRESCRIPTION_LIST), responses=PrescriptionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def prescriptions(self, request, pk=None):
        return self.nested_list(self.get_object().prescriptions.all(), PrescriptionSerializer, **PRESCRIPTION_LIST)

    @extend_schema(summary="Prescribe (409 once the consultation is completed)",
                   responses={201: PrescriptionSerializer})
    @prescriptions.mapping.post
    def add_prescription(self, request, pk=None):
        return self._add(services.prescription_add)

    @extend_schema(summary="Notes of the consultation", filters=False, parameters=nested_list_parameters(**NOTE_LIST),
                   responses=ConsultationNoteSerializer(many=True))
    @action(detail=True, methods=["get"])
    def notes(self, request, pk=None):
        rows = self.get_object().notes.select_related("author")
        return self.nested_list(rows, ConsultationNoteSerializer, **NOTE_LIST)

    @extend_schema(summary="Add a note (409 once the consultation is completed)",
                   responses={201: ConsultationNoteSerializer})
    @notes.mapping.post
    def add_note(self, request, pk=None):
        return self._add(services.note_add)

    @extend_schema(summary="The consultation summary as a PDF",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        consultation = self.get_object()
        reads.record_object_read(consultation)  # the PDF is a read of the consultation (audit.reads)
        return pdf.consultation_pdf_response(consultation)
