"""Patient records (with their nested doctors, consultations and documents) and patient-doctor mappings."""
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.choices import Role
from accounts.roles import ADMIN, ADMIN_DOCTOR, CARE_TEAM, CLINICAL, CONSULTATION_READERS
from audit import reads
from audit.choices import DataKind
from clinical import documents, services
from clinical.documents import CONTENT_TYPES as DOCUMENT_TYPES
from clinical.filters import MappingFilter, PatientFilter
from clinical.models import Consultation, DoctorProfile, Patient, PatientDoctorMapping
from clinical.serializers import (
    ConsultationSerializer,
    DoctorProfileSerializer,
    MappingSerializer,
    PatientContactSerializer,
    PatientDocumentSerializer,
    PatientSerializer,
    PatientStaffSerializer,
)
from clinical.views.common import CONSULTATION_LIST, role_of
from core.parsers import UPLOAD_PARSERS
from core.viewsets import BaseViewSet, CreateMixin, ModelViewSet, nested_list_parameters

DOCUMENT_PATH = r"documents/(?P<doc_id>[0-9]+)"
RECORD_WRITES = ("update", "partial_update", "destroy", "upload_document", "archive_document")
# Nested lists: the same keywords for nested_list() and for nested_list_parameters() in its schema.
DOCTOR_LIST = {"ordering_fields": ["id", "specialization"], "ordering": ["id"],
               "search_fields": ["user__first_name", "user__last_name", "specialization"]}
DOCUMENT_LIST = {"ordering_fields": ["uploaded_at", "title", "kind", "size", "id"],
                 "ordering": ["-uploaded_at", "-id"], "search_fields": ["title", "original_name"]}


@extend_schema_view(
    list=extend_schema(summary="Patients in the caller's scope (archived records are not listed)"),
    retrieve=extend_schema(summary="A patient record"),
    create=extend_schema(summary="Create a patient record (medical_record_number is generated)"),
    update=extend_schema(summary="Update a patient record (a patient: contact fields of their own only)"),
    partial_update=extend_schema(summary="Partly update a patient record (a patient: contact fields only)"),
    destroy=extend_schema(summary="Archive a patient record (never erased)"),
)
@extend_schema(tags=["patients"])
class PatientViewSet(ModelViewSet):
    model = Patient
    read_serializer_class = PatientSerializer
    role_rules = {
        "list": CLINICAL, "retrieve": CLINICAL, "create": CARE_TEAM,
        "update": CLINICAL, "partial_update": CLINICAL, "destroy": ADMIN,
        "doctors": CLINICAL, "consultations": CLINICAL,
        "documents": CLINICAL, "upload_document": CLINICAL, "document": CLINICAL, "archive_document": CLINICAL,
        "download_document": CLINICAL,
    }
    # Archived records are reachable by admins only; writes reach the patients in the caller's care
    # only (a break-glass grant reads: writing under it is a 404 like any record out of scope).
    action_scopes = {**dict.fromkeys(role_rules, "records_for"),
                     **dict.fromkeys(RECORD_WRITES, "records_editable_by")}
    filterset_class = PatientFilter
    search_fields = ["first_name", "last_name", "medical_record_number"]
    ordering_fields = ["last_name", "first_name", "medical_record_number", "date_of_birth", "created_at"]
    # ?format=csv (core.csv_export): every PatientSerializer field; the rows' patients are read-audited.
    csv_fields = PatientSerializer.Meta.fields
    csv_filename = "patients"
    csv_record_read = staticmethod(reads.record_read)

    def scoped_queryset(self, action):
        queryset = super().scoped_queryset(action)
        return queryset.active() if action == "list" else queryset  # archived: kept, never listed

    def optimise(self, queryset):
        return queryset.select_related("department")

    def get_serializer_class(self):
        role = role_of(self.request)
        if self.action in ("update", "partial_update") and role == Role.PATIENT:
            return PatientContactSerializer
        if self.action in ("documents", "upload_document", "document"):
            return PatientDocumentSerializer
        if self.action in ("create", "update", "partial_update") and role != Role.ADMIN:
            return PatientStaffSerializer
        return PatientSerializer

    def perform_create(self, serializer):
        serializer.instance = services.patient_create(by=self.request.user, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.patient_archive(patient=instance, by=self.request.user)

    @extend_schema(summary="The doctors of a patient (their mappings)", filters=False,
                   parameters=nested_list_parameters(**DOCTOR_LIST), responses=DoctorProfileSerializer(many=True))
    @action(detail=True, methods=["get"])
    def doctors(self, request, pk=None):
        patient = self.get_object()
        reads.record_read(DataKind.CARE_TEAM, [patient.pk], PatientDoctorMapping)  # the patient's care team
        doctors = DoctorProfile.objects.filter(patient_mappings__patient=patient).select_related("user__department")
        return self.nested_list(doctors, DoctorProfileSerializer, **DOCTOR_LIST)

    @extend_schema(summary="The patient's consultation history (those the caller may see)", filters=False,
                   parameters=nested_list_parameters(**CONSULTATION_LIST), responses=ConsultationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def consultations(self, request, pk=None):
        patient = self.get_object()
        history = Consultation.objects.visible_to(request.user).filter(appointment__patient=patient).select_related(
            "appointment")
        return self.nested_list(history, ConsultationSerializer, **CONSULTATION_LIST)

    # Documents: medical record files, streamed only through these scoped routes.

    def _documents(self):
        return self.get_object().documents.active()

    def _document(self, doc_id, editable=False):
        documents = self._documents()
        if editable:  # the uploader's own, an admin's any: another's document is a 404 like a missing one
            documents = documents.editable_by(self.request.user)
        document = documents.filter(pk=doc_id).first()
        if document is None:
            raise NotFound()
        return document

    @extend_schema(summary="A patient's documents", filters=False, parameters=nested_list_parameters(**DOCUMENT_LIST),
                   responses=PatientDocumentSerializer(many=True))
    @action(detail=True, methods=["get"], parser_classes=UPLOAD_PARSERS)
    def documents(self, request, pk=None):
        return self.nested_list(self._documents(), PatientDocumentSerializer, **DOCUMENT_LIST)

    @extend_schema(summary="Upload a document (PDF, PNG, JPEG by content; 20 MB max)",
                   request={"multipart/form-data": PatientDocumentSerializer},
                   responses={201: PatientDocumentSerializer})
    @documents.mapping.post
    def upload_document(self, request, pk=None):
        patient = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        content_type, extension = documents.sniff(data["file"])
        document = services.document_upload(patient=patient, by=request.user, content_type=content_type,
                                            extension=extension, **data)
        return Response(PatientDocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="A document's details", responses=PatientDocumentSerializer)
    @action(detail=True, methods=["get"], url_path=DOCUMENT_PATH)
    def document(self, request, pk=None, doc_id=None):
        return Response(PatientDocumentSerializer(self._document(doc_id)).data)

    @extend_schema(summary="Archive a document (its uploader or an admin; another's is a 404; never erased)",
                   responses={204: None})
    @document.mapping.delete
    def archive_document(self, request, pk=None, doc_id=None):
        services.document_archive(document=self._document(doc_id, editable=True), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Download a document's file (answered with its own type: PDF, PNG or JPEG)",
                   responses={(200, content_type): OpenApiTypes.BINARY for content_type in DOCUMENT_TYPES})
    @action(detail=True, methods=["get"], url_path=f"{DOCUMENT_PATH}/download")
    def download_document(self, request, pk=None, doc_id=None):
        document = self._document(doc_id)
        reads.record_object_read(document)  # a download is a read of the document (audit.reads)
        return FileResponse(document.file.open("rb"), content_type=document.content_type, as_attachment=True,
                            filename=document.original_name or f"document-{document.pk}")


@extend_schema_view(
    list=extend_schema(summary="Patient-doctor mappings in the caller's scope"),
    retrieve=extend_schema(summary="A mapping"),
    create=extend_schema(summary="Map a patient to a doctor (a doctor: to themself)"),
    destroy=extend_schema(summary="Delete a mapping"),
)
@extend_schema(tags=["mappings"])
class MappingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CreateMixin, mixins.DestroyModelMixin,
                     BaseViewSet):
    model = PatientDoctorMapping
    role_rules = {"list": CONSULTATION_READERS, "retrieve": CONSULTATION_READERS, "create": ADMIN_DOCTOR,
                  "destroy": ADMIN}
    serializer_class = MappingSerializer
    filterset_class = MappingFilter
    ordering_fields = ["created_at", "id"]

    def optimise(self, queryset):
        return queryset.select_related("patient", "doctor__user")

    def perform_create(self, serializer):
        data = serializer.validated_data
        doctor = services.acting_doctor(by=self.request.user, requested=data.get("doctor"))
        serializer.instance = services.mapping_create(patient=data["patient"], doctor=doctor, by=self.request.user)
