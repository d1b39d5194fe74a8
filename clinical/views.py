from types import SimpleNamespace

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response

from accounts.choices import Role
from clinical import documents, pdf, selectors, services
from clinical.documents import CONTENT_TYPES as DOCUMENT_TYPES
from clinical.filters import (
    AppointmentFilter,
    ConsultationFilter,
    DoctorProfileFilter,
    MappingFilter,
    PatientFilter,
    TimeSlotFilter,
)
from clinical.models import (
    Appointment,
    Consultation,
    Department,
    DoctorProfile,
    Patient,
    PatientDoctorMapping,
    TimeSlot,
)
from clinical.serializers import (
    AppointmentCreateSerializer,
    AppointmentHistorySerializer,
    AppointmentSerializer,
    AvailabilityQuerySerializer,
    BulkSlotsResultSerializer,
    BulkSlotsSerializer,
    CancelSerializer,
    ConsultationNoteSerializer,
    ConsultationSerializer,
    ConsultationUpdateSerializer,
    DepartmentSerializer,
    DoctorProfileAdminUpdateSerializer,
    DoctorProfileSelfUpdateSerializer,
    DoctorProfileSerializer,
    MappingSerializer,
    PatientContactSerializer,
    PatientDocumentSerializer,
    PatientSerializer,
    PatientStaffSerializer,
    PrescriptionSerializer,
    RescheduleSerializer,
    StatisticsQuerySerializer,
    StatisticsSerializer,
    TimeSlotSerializer,
    TimeSlotUpdateSerializer,
    VitalSignsSerializer,
)
from core.db import save_unique
from core.parsers import UPLOAD_PARSERS
from core.permissions import AUTHENTICATED

ADMIN = {Role.ADMIN}
DOCTOR = {Role.DOCTOR}
ADMIN_DOCTOR = {Role.ADMIN, Role.DOCTOR}
CLINICAL = {Role.ADMIN, Role.DOCTOR, Role.NURSE, Role.PATIENT}  # everyone but engineers
CONSULTATION_READERS = {Role.ADMIN, Role.DOCTOR, Role.PATIENT}

WRITE_ACTIONS = ("update", "partial_update", "destroy")
CONSULTATION_SEARCH = ["chief_complaint", "diagnosis", "summary"]
CONSULTATION_ORDERING = ["created_at", "follow_up_date", "id"]


def _role(request):
    # getattr: the schema generator inspects views with an anonymous user.
    return getattr(request.user, "role", None)


def _paginated(view, queryset, serializer_class, *, ordering_fields=(), search_fields=()):
    """A nested list (an action's own rows): `?search=` and `?ordering=` over the given fields, as on
    every list, without the viewset's own filterset, which describes other rows."""
    rules = SimpleNamespace(ordering_fields=list(ordering_fields), search_fields=list(search_fields))
    if search_fields:
        queryset = SearchFilter().filter_queryset(view.request, queryset, rules)
    if ordering_fields:
        queryset = OrderingFilter().filter_queryset(view.request, queryset, rules)
    page = view.paginate_queryset(queryset)
    return view.get_paginated_response(serializer_class(page, many=True, context=view.get_serializer_context()).data)


# --- Departments and doctors --------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(summary="Departments"),
    retrieve=extend_schema(summary="A department"),
    create=extend_schema(summary="Create a department"),
    update=extend_schema(summary="Update a department"),
    partial_update=extend_schema(summary="Partly update a department"),
    destroy=extend_schema(summary="Delete a department (its staff, doctors and patients keep no department)"),
)
@extend_schema(tags=["departments"])
class DepartmentViewSet(viewsets.ModelViewSet):
    role_rules = {"list": AUTHENTICATED, "retrieve": AUTHENTICATED,
                  **{name: ADMIN for name in ("create", "update", "partial_update", "destroy")}}
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]

    def perform_create(self, serializer):
        save_unique(serializer, field="name", message="A department with this name already exists.")

    def perform_update(self, serializer):
        save_unique(serializer, field="name", message="A department with this name already exists.")


@extend_schema_view(
    list=extend_schema(summary="Doctor profiles"),
    retrieve=extend_schema(summary="A doctor profile"),
    create=extend_schema(summary="Create the profile of a doctor user"),
    update=extend_schema(summary="Update a doctor profile (admin)"),
    partial_update=extend_schema(summary="Partly update a doctor profile (admin; a doctor their own, not the licence)",
                                 request=DoctorProfileSelfUpdateSerializer),
    destroy=extend_schema(summary="Delete a doctor profile (409 while slots or appointments refer to it)"),
)
@extend_schema(tags=["doctors"])
class DoctorProfileViewSet(viewsets.ModelViewSet):
    role_rules = {"list": AUTHENTICATED, "retrieve": AUTHENTICATED, "create": ADMIN, "update": ADMIN,
                  "partial_update": ADMIN_DOCTOR, "destroy": ADMIN}
    filterset_class = DoctorProfileFilter
    search_fields = ["user__first_name", "user__last_name", "user__username", "specialization",
                     "medical_license_number"]
    ordering_fields = ["id", "specialization", "user__last_name", "created_at"]

    def get_queryset(self):
        # Non-admins see approved, active doctors only; admins every profile (?approval_status=pending).
        queryset = DoctorProfile.objects.visible_to(self.request.user).select_related("user__department")
        if self.action == "partial_update" and _role(self.request) == Role.DOCTOR:
            return queryset.filter(user=self.request.user)  # a doctor's write scope: their own profile
        return queryset

    def get_serializer_class(self):
        if self.action == "partial_update" and _role(self.request) == Role.DOCTOR:
            return DoctorProfileSelfUpdateSerializer
        if self.action in ("update", "partial_update"):
            return DoctorProfileAdminUpdateSerializer
        return DoctorProfileSerializer

    # The serializers check the licence and the user link first; a lost race is still a 400.
    def perform_create(self, serializer):
        save_unique(serializer, field="medical_license_number", message=LICENCE_OR_USER_TAKEN)

    def perform_update(self, serializer):
        save_unique(serializer, field="medical_license_number", message=LICENCE_OR_USER_TAKEN)


LICENCE_OR_USER_TAKEN = "This licence number (or doctor user) already has a profile."


# --- Patients ---------------------------------------------------------------------------------

DOCUMENT_PATH = r"documents/(?P<doc_id>[0-9]+)"


@extend_schema_view(
    list=extend_schema(summary="Patients in the caller's scope (archived records are not listed)"),
    retrieve=extend_schema(summary="A patient record"),
    create=extend_schema(summary="Create a patient record (medical_record_number is generated)"),
    update=extend_schema(summary="Update a patient record (a patient: contact fields of their own only)"),
    partial_update=extend_schema(summary="Partly update a patient record (a patient: contact fields only)"),
    destroy=extend_schema(summary="Archive a patient record (never erased)"),
)
@extend_schema(tags=["patients"])
class PatientViewSet(viewsets.ModelViewSet):
    role_rules = {
        "list": CLINICAL, "retrieve": CLINICAL, "create": {Role.ADMIN, Role.DOCTOR, Role.NURSE},
        "update": CLINICAL, "partial_update": CLINICAL, "destroy": ADMIN,
        "doctors": CLINICAL, "consultations": CLINICAL,
        "documents": CLINICAL, "upload_document": CLINICAL, "document": CLINICAL, "archive_document": CLINICAL,
        "download_document": CLINICAL,
    }
    filterset_class = PatientFilter
    search_fields = ["first_name", "last_name", "medical_record_number"]
    ordering_fields = ["last_name", "first_name", "medical_record_number", "date_of_birth", "created_at"]

    def get_queryset(self):
        queryset = Patient.objects.visible_to(self.request.user).select_related("department")
        if self.action == "list" or _role(self.request) != Role.ADMIN:
            queryset = queryset.active()  # archived: kept, out of lists, reachable by admins only
        return queryset

    def get_serializer_class(self):
        role = _role(self.request)
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

    @extend_schema(summary="The doctors of a patient (their mappings)", responses=DoctorProfileSerializer(many=True))
    @action(detail=True, methods=["get"])
    def doctors(self, request, pk=None):
        patient = self.get_object()
        doctors = DoctorProfile.objects.filter(patient_mappings__patient=patient).select_related(
            "user__department").order_by("id")
        return _paginated(self, doctors, DoctorProfileSerializer, ordering_fields=["id", "specialization"],
                          search_fields=["user__first_name", "user__last_name", "specialization"])

    @extend_schema(summary="The patient's consultation history (those the caller may see)",
                   responses=ConsultationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def consultations(self, request, pk=None):
        patient = self.get_object()
        history = Consultation.objects.visible_to(request.user).filter(appointment__patient=patient).select_related(
            "appointment")
        return _paginated(self, history, ConsultationSerializer, ordering_fields=CONSULTATION_ORDERING,
                          search_fields=CONSULTATION_SEARCH)

    # Documents: medical record files, streamed only through these scoped routes.

    def _documents(self):
        return self.get_object().documents.active().order_by("-uploaded_at", "-id")

    def _document(self, doc_id):
        document = self._documents().filter(pk=doc_id).first()
        if document is None:
            raise NotFound()
        return document

    @extend_schema(summary="A patient's documents", responses=PatientDocumentSerializer(many=True))
    @action(detail=True, methods=["get"], parser_classes=UPLOAD_PARSERS)
    def documents(self, request, pk=None):
        return _paginated(self, self._documents(), PatientDocumentSerializer,
                          ordering_fields=["uploaded_at", "title", "kind", "size", "id"],
                          search_fields=["title", "original_name"])

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

    @extend_schema(summary="Archive a document (uploader or admin; never erased)", responses={204: None})
    @document.mapping.delete
    def archive_document(self, request, pk=None, doc_id=None):
        services.document_archive(document=self._document(doc_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary="Download a document's file (answered with its own type: PDF, PNG or JPEG)",
                   responses={(200, content_type): OpenApiTypes.BINARY for content_type in DOCUMENT_TYPES})
    @action(detail=True, methods=["get"], url_path=f"{DOCUMENT_PATH}/download")
    def download_document(self, request, pk=None, doc_id=None):
        document = self._document(doc_id)
        return FileResponse(document.file.open("rb"), content_type=document.content_type, as_attachment=True,
                            filename=document.original_name or f"document-{document.pk}")


@extend_schema_view(
    list=extend_schema(summary="Patient-doctor mappings in the caller's scope"),
    retrieve=extend_schema(summary="A mapping"),
    create=extend_schema(summary="Map a patient to a doctor (a doctor: to themself)"),
    destroy=extend_schema(summary="Delete a mapping"),
)
@extend_schema(tags=["mappings"])
class MappingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.DestroyModelMixin, viewsets.GenericViewSet):
    role_rules = {"list": CONSULTATION_READERS, "retrieve": CONSULTATION_READERS, "create": ADMIN_DOCTOR,
                  "destroy": ADMIN}
    serializer_class = MappingSerializer
    filterset_class = MappingFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return PatientDoctorMapping.objects.visible_to(self.request.user).select_related("patient", "doctor__user")

    def perform_create(self, serializer):
        data = serializer.validated_data
        doctor = services.acting_doctor(by=self.request.user, requested=data.get("doctor"))
        serializer.instance = services.mapping_create(patient=data["patient"], doctor=doctor, by=self.request.user)


# --- Time slots -------------------------------------------------------------------------------

BULK_SCHEMA = extend_schema(summary="Create a run of slots; overlapping ones are skipped and reported",
                            request=BulkSlotsSerializer, responses={201: BulkSlotsResultSerializer})


@extend_schema_view(
    list=extend_schema(summary="Time slots (filters: doctor, date range, available=true)"),
    retrieve=extend_schema(summary="A time slot"),
    create=extend_schema(summary="Create a slot (a doctor: their own; half-open, no overlaps)"),
    update=extend_schema(summary="Move a slot (not while a live appointment holds it)"),
    partial_update=extend_schema(summary="Partly move a slot (not while a live appointment holds it)"),
    destroy=extend_schema(summary="Delete a slot (not while a live appointment holds it)"),
)
@extend_schema(tags=["time-slots"])
class TimeSlotViewSet(viewsets.ModelViewSet):
    role_rules = {"list": AUTHENTICATED, "retrieve": AUTHENTICATED,
                  **{name: ADMIN_DOCTOR for name in ("create", "update", "partial_update", "destroy", "bulk",
                                                     "create_bulk_slots")}}
    filterset_class = TimeSlotFilter
    ordering_fields = ["date", "start_time", "id"]

    def get_queryset(self):
        queryset = TimeSlot.objects.with_availability()
        if self.action in WRITE_ACTIONS and _role(self.request) == Role.DOCTOR:
            return queryset.filter(doctor__user=self.request.user)  # a doctor changes only their own slots
        return queryset

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return TimeSlotUpdateSerializer
        if self.action in ("bulk", "create_bulk_slots"):
            return BulkSlotsSerializer
        return TimeSlotSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        doctor = services.acting_doctor(by=self.request.user, requested=data.get("doctor"))
        serializer.instance = services.timeslot_create(doctor=doctor, date=data["date"],
                                                       start_time=data["start_time"], end_time=data["end_time"])

    def perform_update(self, serializer):
        serializer.instance = services.timeslot_update(slot=serializer.instance, by=self.request.user,
                                                       **serializer.validated_data)

    def perform_destroy(self, instance):
        services.timeslot_delete(slot=instance, by=self.request.user)

    def _bulk(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        doctor = services.acting_doctor(by=request.user, requested=data.pop("doctor", None))
        created, skipped = services.timeslot_bulk_create(doctor=doctor, **data)
        body = BulkSlotsResultSerializer({"created": created, "skipped": skipped}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @BULK_SCHEMA
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        return self._bulk(request)

    @BULK_SCHEMA
    @action(detail=False, methods=["post"])
    def create_bulk_slots(self, request):
        return self._bulk(request)


@extend_schema(tags=["time-slots"], summary="A doctor's free slots on a date",
               parameters=[OpenApiParameter("doctor", int, required=True), OpenApiParameter("date", OpenApiTypes.DATE,
                                                                                            required=True)])
class DoctorAvailabilityView(generics.ListAPIView):
    role_rules = {"get": AUTHENTICATED}
    serializer_class = TimeSlotSerializer
    filter_backends = [OrderingFilter]  # doctor and date are required parameters, not filters
    ordering_fields = ["start_time", "end_time", "id"]

    def get_queryset(self):
        query = AvailabilityQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return TimeSlot.objects.free().filter(doctor=query.validated_data["doctor"],
                                              date=query.validated_data["date"]).order_by("start_time")


# --- Appointments -----------------------------------------------------------------------------

def _appointment_action(summary, request=None):
    return extend_schema(summary=summary, request=request, responses=AppointmentSerializer)


@extend_schema_view(
    list=extend_schema(summary="Appointments in the caller's scope"),
    retrieve=extend_schema(summary="An appointment"),
    create=extend_schema(summary="Book a free slot", request=AppointmentCreateSerializer,
                         responses={201: AppointmentSerializer}),
)
@extend_schema(tags=["appointments"])
class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, viewsets.GenericViewSet):
    role_rules = {
        **{name: CLINICAL for name in ("list", "retrieve", "create", "history", "today", "upcoming", "statistics")},
        "confirm": ADMIN_DOCTOR, "cancel": {Role.ADMIN, Role.DOCTOR, Role.PATIENT},
        "reschedule": {Role.ADMIN, Role.DOCTOR, Role.PATIENT}, "complete": DOCTOR, "no_show": ADMIN_DOCTOR,
    }
    filterset_class = AppointmentFilter
    search_fields = ["reason", "patient__first_name", "patient__last_name", "patient__medical_record_number"]
    ordering_fields = ["slot__date", "slot__start_time", "created_at", "status", "id"]

    def get_queryset(self):
        return Appointment.objects.visible_to(self.request.user).select_related("patient", "doctor__user", "slot")

    def get_serializer_class(self):
        if self.action == "create":
            return AppointmentCreateSerializer
        if self.action == "cancel":
            return CancelSerializer
        if self.action == "reschedule":
            return RescheduleSerializer
        if self.action == "history":
            return AppointmentHistorySerializer
        if self.action == "statistics":
            return StatisticsQuerySerializer
        return AppointmentSerializer

    def _answer(self, appointment, status_code=status.HTTP_200_OK):
        # The service's own instance, not a re-read through the caller's scope: a doctor who books a
        # colleague's slot for their patient does not see that appointment afterwards.
        return Response(AppointmentSerializer(appointment).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = services.appointment_book(by=request.user, **serializer.validated_data)
        return self._answer(appointment, status.HTTP_201_CREATED)

    @_appointment_action("Confirm a scheduled appointment")
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._answer(services.appointment_confirm(appointment=self.get_object(), by=request.user))

    @_appointment_action("Cancel an appointment (frees its slot)", CancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        appointment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(services.appointment_cancel(appointment=appointment, by=request.user,
                                                        reason=serializer.validated_data["reason"]))

    @_appointment_action("Move to another free slot of the same doctor", RescheduleSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        appointment = self.get_object()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._answer(services.appointment_reschedule(appointment=appointment, by=request.user,
                                                            slot=serializer.validated_data["slot"]))

    @_appointment_action("Complete an in-progress appointment (and its consultation)")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._answer(services.appointment_complete(appointment=self.get_object(), by=request.user))

    @_appointment_action("Mark an appointment as a no-show")
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        return self._answer(services.appointment_no_show(appointment=self.get_object(), by=request.user))

    @extend_schema(summary="Every change of an appointment, oldest first",
                   responses=AppointmentHistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        entries = self.get_object().history.select_related("changed_by").order_by("changed_at", "id")
        return _paginated(self, entries, AppointmentHistorySerializer, ordering_fields=["changed_at", "id"],
                          search_fields=["note"])

    @extend_schema(summary="Today's appointments (UTC date of the slot)", responses=AppointmentSerializer(many=True))
    @action(detail=False, methods=["get"])
    def today(self, request):
        return _paginated(self, selectors.appointments_today(self.filter_queryset(self.get_queryset())),
                          AppointmentSerializer)

    @extend_schema(summary="Coming scheduled or confirmed appointments, soonest first",
                   responses=AppointmentSerializer(many=True))
    @action(detail=False, methods=["get"])
    def upcoming(self, request):
        return _paginated(self, selectors.appointments_upcoming(self.filter_queryset(self.get_queryset())),
                          AppointmentSerializer)

    @extend_schema(summary="Counts by status, by doctor and by day (default: this month to today)",
                   parameters=[StatisticsQuerySerializer], responses=StatisticsSerializer)
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def statistics(self, request):
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stats = selectors.appointment_statistics(self.get_queryset(), **query.validated_data)
        return Response(StatisticsSerializer(stats).data)


# --- Consultations ----------------------------------------------------------------------------

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
class ConsultationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    role_rules = {
        # The contract lists who reads /consultations/; the pdf and the nested lists are "scoped": a
        # department nurse reads them too (visible_to decides which).
        "list": CONSULTATION_READERS, "retrieve": CONSULTATION_READERS, "pdf": CLINICAL,
        **{name: DOCTOR for name in ("create", "update", "partial_update", "start", "start_consultation",
                                     "complete", "complete_consultation", "add_prescription", "add_note")},
        "vital_signs": CLINICAL, "add_vital_signs": {Role.DOCTOR, Role.NURSE},
        "prescriptions": CLINICAL, "notes": CLINICAL,
    }
    filterset_class = ConsultationFilter
    search_fields = CONSULTATION_SEARCH
    ordering_fields = CONSULTATION_ORDERING

    def get_queryset(self):
        return Consultation.objects.visible_to(self.request.user).select_related("appointment")

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

    def _answer(self, consultation):
        return Response(ConsultationSerializer(self.get_queryset().get(pk=consultation.pk),
                                               context=self.get_serializer_context()).data)

    def _start(self):
        return self._answer(services.consultation_start(consultation=self.get_object(), by=self.request.user))

    def _complete(self):
        return self._answer(services.consultation_complete(consultation=self.get_object(), by=self.request.user))

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

    @extend_schema(summary="Vital signs recorded in the consultation", responses=VitalSignsSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="vital-signs")
    def vital_signs(self, request, pk=None):
        rows = self.get_object().vital_signs.order_by("recorded_at", "id")
        return _paginated(self, rows, VitalSignsSerializer, ordering_fields=["recorded_at", "id"])

    @extend_schema(summary="Record vital signs (409 once the consultation is completed)",
                   responses={201: VitalSignsSerializer})
    @vital_signs.mapping.post
    def add_vital_signs(self, request, pk=None):
        return self._add(services.vital_signs_add)

    @extend_schema(summary="Prescriptions of the consultation", responses=PrescriptionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def prescriptions(self, request, pk=None):
        rows = self.get_object().prescriptions.order_by("created_at", "id")
        return _paginated(self, rows, PrescriptionSerializer, ordering_fields=["created_at", "medication", "id"],
                          search_fields=["medication", "instructions"])

    @extend_schema(summary="Prescribe (409 once the consultation is completed)",
                   responses={201: PrescriptionSerializer})
    @prescriptions.mapping.post
    def add_prescription(self, request, pk=None):
        return self._add(services.prescription_add)

    @extend_schema(summary="Notes of the consultation", responses=ConsultationNoteSerializer(many=True))
    @action(detail=True, methods=["get"])
    def notes(self, request, pk=None):
        rows = self.get_object().notes.select_related("author").order_by("created_at", "id")
        return _paginated(self, rows, ConsultationNoteSerializer, ordering_fields=["created_at", "note_type", "id"],
                          search_fields=["content"])

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
        return pdf.consultation_pdf_response(consultation)
