import operator
from functools import reduce

import django_filters
from django.db.models import Q
from django.db.models.constants import LOOKUP_SEP

from accounts.choices import ApprovalStatus
from clinical.choices import AppointmentStatus
from clinical.models import (
    Appointment,
    BreakGlassGrant,
    Consultation,
    Department,
    DoctorProfile,
    Patient,
    PatientDoctorMapping,
    TimeSlot,
)
from core.filters import IdFilter, ListSearchFilter, StrictBooleanFilter, any_contains
from core.scoping import InIds


def _visible_patients(request):
    return Patient.objects.visible_to(request.user)


def _visible_appointments(request):
    return Appointment.objects.visible_to(request.user)


class ScopedPatientFilter(django_filters.ModelChoiceFilter):
    """`?patient=`: a patient outside the caller's scope is refused exactly like a missing one (400),
    so the filter cannot tell who exists."""

    def __init__(self, field_name="patient", **kwargs):
        super().__init__(field_name=field_name, queryset=_visible_patients, **kwargs)


class DoctorProfileFilter(django_filters.FilterSet):
    # The department is the doctor user's (one source of truth for all staff).
    department = django_filters.ModelChoiceFilter(field_name="user__department", queryset=Department.objects.all())
    # Admins see every profile; these pick out sign-ups still waiting (non-admins see practising doctors only).
    approval_status = django_filters.ChoiceFilter(field_name="user__approval_status", choices=ApprovalStatus.choices)
    is_active = StrictBooleanFilter(field_name="user__is_active")

    class Meta:
        model = DoctorProfile
        fields = ["department", "specialization", "approval_status", "is_active"]


class PatientFilter(django_filters.FilterSet):
    # An identifier prefix, as the devices' asset and serial numbers: served by the
    # UPPER(medical_record_number) text_pattern_ops index (clinical 0011). MRNs are fixed width, so a
    # whole one still finds exactly its record.
    medical_record_number = django_filters.CharFilter(lookup_expr="istartswith", help_text=(
        "Medical record numbers starting with this, any case: `mrn-00012` finds MRN-0001234."))
    born_after = django_filters.DateFilter(field_name="date_of_birth", lookup_expr="gte")
    born_before = django_filters.DateFilter(field_name="date_of_birth", lookup_expr="lte")

    class Meta:
        model = Patient
        fields = ["department", "sex", "blood_type", "medical_record_number"]


class MappingFilter(django_filters.FilterSet):
    patient = ScopedPatientFilter()

    class Meta:
        model = PatientDoctorMapping
        fields = ["patient", "doctor"]


class TimeSlotFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    available = StrictBooleanFilter(
        method="filter_available",
        help_text="true: free slots that have not started; false: slots holding a live appointment.",
    )

    class Meta:
        model = TimeSlot
        fields = ["doctor", "date", "date_from", "date_to", "available"]

    def filter_available(self, queryset, name, value):
        return queryset.upcoming().booked(False) if value else queryset.booked()


class AppointmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    date_from = django_filters.DateFilter(field_name="slot__date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="slot__date", lookup_expr="lte")
    patient = ScopedPatientFilter()

    class Meta:
        model = Appointment
        fields = ["status", "doctor", "patient", "date_from", "date_to"]


class ConsultationFilter(django_filters.FilterSet):
    appointment = django_filters.ModelChoiceFilter(queryset=_visible_appointments)
    patient = ScopedPatientFilter(field_name="appointment__patient")
    doctor = django_filters.ModelChoiceFilter(field_name="appointment__doctor", queryset=DoctorProfile.objects.all())
    follow_up_from = django_filters.DateFilter(field_name="follow_up_date", lookup_expr="gte")
    follow_up_to = django_filters.DateFilter(field_name="follow_up_date", lookup_expr="lte")

    class Meta:
        model = Consultation
        fields = ["status", "appointment", "patient", "doctor", "follow_up_from", "follow_up_to"]


class BreakGlassGrantFilter(django_filters.FilterSet):
    # Plain ids, not scoped choices: a grant outlives the patient's visibility, and an unknown id
    # is an empty list rather than a 400 that would tell which patients exist.
    patient = IdFilter(field_name="patient_id")
    user = IdFilter(field_name="user_id")
    live = StrictBooleanFilter(method="filter_live", help_text="true: in force now; false: revoked or expired.")

    class Meta:
        model = BreakGlassGrant
        fields = ["patient", "user", "live"]

    def filter_live(self, queryset, name, value):
        live = BreakGlassGrant.objects.live().values("pk")
        return queryset.filter(pk__in=live) if value else queryset.exclude(pk__in=live)


TRIGRAM = 3  # pg_trgm's unit: a shorter term matches no trigram, so no index serves it


class PatientFieldsSearchFilter(ListSearchFilter):
    """DRF's ?search= (every term, each in any of `search_fields`, icontains), with the patient's
    fields (`patient__last_name`) asked of the patients' own trigram indexes: each term is
    `UPPER(reason) LIKE ... OR patient_id = ANY(ARRAY(the patients whose name or MRN matches))`, a
    BitmapOr of indexes, where DRF's OR across the join tests every row (issue 15). Same rows."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        fields, terms = self.get_search_fields(view, request), self.get_search_terms(request)
        if not fields or not terms:
            return queryset
        prefix = f"patient{LOOKUP_SEP}"
        own = [field for field in fields if not field.startswith(prefix)]  # other joins stay DRF's
        of_patient = [field.removeprefix(prefix) for field in fields if field.startswith(prefix)]
        for term in terms:
            if len(term) < TRIGRAM:  # no trigram to look up (an id array of nearly every patient): DRF's join
                queryset = queryset.filter(any_contains(fields, term))
                continue
            arms = [any_contains(own, term)] if own else []
            if of_patient:
                patients = Patient.objects.filter(any_contains(of_patient, term)).values("pk")
                arms.append(Q(InIds("patient_id", patients)))
            queryset = queryset.filter(reduce(operator.or_, arms))
        return queryset

