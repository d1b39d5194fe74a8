"""The FHIR searches: `Patient?identifier=`, `Observation?patient=&code=&date=`,
`Appointment?patient=`, `Slot?schedule=`, each a searchset Bundle paged by keyset (fhir.paging).

A search names rows in the caller's scope only: a `patient` out of scope (or missing) matches
nothing, exactly like one without data (an empty Bundle, not a 404: a search never says whether a
record exists). Observation pages seek on (recorded_at, id), newest first, on the readings
index (patient, recorded_at): a deep page costs what the first does on the large, partitioned
table; its Bundles carry no `total` (counting a week of 1 Hz readings costs more than a page).
The small tables' Bundles do."""

from datetime import datetime

from rest_framework.response import Response

from accounts.roles import CLINICAL
from audit import reads
from audit.choices import DataKind
from clinical.models import Appointment, Patient, TimeSlot
from core.permissions import AUTHENTICATED
from fhir import mapping
from fhir.base import FhirView
from fhir.outcome import FhirError
from fhir.paging import PAGING_PARAMETERS, decode_cursor, page_size, searchset
from fhir.search import date_condition, one, reference_id, token, token_matches
from monitoring.models import Reading

READING_FIELDS = ("id", "patient_id", "device_id", "bpm", "recorded_at", "device_suspect")


def id_page(queryset, after, limit):
    """(rows, more, last id): up to `limit` rows of id greater than `after`, in id order."""
    if after is not None:
        if not isinstance(after, int):
            raise FhirError("_cursor is not a cursor this server gave: follow the Bundle's next link.")
        queryset = queryset.filter(pk__gt=after)
    rows = list(queryset.order_by("pk")[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, more, rows[-1].pk if rows else after


def reading_page(readings, after, limit):
    """(rows, more, last key): readings newest first, strictly after the (recorded_at, id) `after`."""
    if after is not None:
        try:
            moment, last_id = datetime.fromisoformat(after[0]), int(after[1])
        except (TypeError, ValueError, IndexError):
            raise FhirError("_cursor is not a cursor this server gave: follow the Bundle's next link.") from None
        # recorded_at <= moment bounds the index range; the OR only breaks ties at that instant.
        readings = readings.filter(recorded_at__lte=moment).exclude(recorded_at=moment, id__gte=last_id)
    rows = list(readings.order_by("-recorded_at", "-id").values_list(*READING_FIELDS, named=True)[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    last = [rows[-1].recorded_at.isoformat(), rows[-1].id] if rows else after
    return rows, more, last


def heart_rate_requested(request):
    """No `code`, or one (of a comma-separated list) naming LOINC 8867-4: the only code served."""
    values = [part for value in request.query_params.getlist("code") for part in value.split(",")]
    return not values or any(token_matches(value, mapping.LOINC, mapping.HEART_RATE) for value in values)


class SearchView(FhirView):
    def page(self, request, queryset, build, *, total=True):
        """One page of an id-ordered search as a Bundle of `build(row)`."""
        after = decode_cursor(request, 1)
        rows, more, last = id_page(queryset, after[0] if after else None, page_size(request))
        count = queryset.count() if total else None
        return searchset(request, [(build(row), "match") for row in rows],
                         next_cursor=[last] if more else None, total=count)


class PatientSearchView(SearchView):
    role_rules = {"get": CLINICAL}
    search_parameters = PAGING_PARAMETERS | {"identifier"}

    def get(self, request):
        self.check_parameters(request)
        patients = Patient.objects.records_for(request.user)
        identifier = one(request, "identifier")
        if identifier is not None:
            system, value = token(identifier)
            patients = patients.filter(medical_record_number=value) if system in (None, mapping.MRN_SYSTEM) \
                else patients.none()

        def build(patient):
            reads.record_object_read(patient)
            return mapping.patient_resource(patient)

        return Response(self.page(request, patients, build))


class ObservationSearchView(FhirView):
    role_rules = {"get": CLINICAL}
    search_parameters = PAGING_PARAMETERS | {"patient", "code", "date"}

    def get(self, request):
        self.check_parameters(request)
        raw = one(request, "patient")
        if raw is None:
            raise FhirError("patient is required (Observation?patient=<id>): readings are searched per patient.",
                            400, "required")
        patient_id = reference_id("patient", raw, "Patient")
        condition = date_condition("recorded_at", request.query_params.getlist("date"))
        count, after = page_size(request), decode_cursor(request, 2)
        visible = Patient.objects.visible_to(request.user).filter(pk=patient_id).exists()
        if not visible or not heart_rate_requested(request):
            return Response(searchset(request, []))
        reads.record_read(DataKind.READINGS, [patient_id], Reading)  # one entry per request, as the REST history
        readings = Reading.objects.filter(condition, patient_id=patient_id)
        rows, more, last = reading_page(readings, after, count)
        entries = [(body, "match") for body in mapping.observation_resources(rows)]
        return Response(searchset(request, entries, next_cursor=last if more else None))


class AppointmentSearchView(SearchView):
    role_rules = {"get": CLINICAL}
    search_parameters = PAGING_PARAMETERS | {"patient"}

    def get(self, request):
        self.check_parameters(request)
        appointments = Appointment.objects.visible_to(request.user).select_related("slot")
        raw = one(request, "patient")
        if raw is not None:
            appointments = appointments.filter(patient_id=reference_id("patient", raw, "Patient"))

        def build(appointment):
            reads.record_object_read(appointment)
            return mapping.appointment_resource(appointment)

        return Response(self.page(request, appointments, build))


class SlotSearchView(SearchView):
    """Slots are every caller's calendar (as /api/time-slots/); a Schedule is a doctor (its id the
    doctor profile id)."""

    role_rules = {"get": AUTHENTICATED}
    search_parameters = PAGING_PARAMETERS | {"schedule"}

    def get(self, request):
        self.check_parameters(request)
        slots = TimeSlot.objects.visible_to(request.user).with_availability()
        raw = one(request, "schedule")
        if raw is not None:
            slots = slots.filter(doctor_id=reference_id("schedule", raw, "Schedule"))
        return Response(self.page(request, slots, mapping.slot_resource))
