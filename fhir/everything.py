"""`GET /fhir/Patient/{id}/$everything`: the patient's record as a paged searchset Bundle.

The pages walk four sections in order: the Patient, their monitor (the Device, when the caller
may see devices), their appointments (by id), then their heart-rate Observations (newest first,
seeking on (recorded_at, id) as the Observation search does). `_count` entries a page at most,
and the `next` link's cursor names the section and the last row sent: never the whole history in
one response, and a deep page is as cheap as the first."""

from rest_framework.response import Response

from accounts.roles import CLINICAL
from audit import reads
from audit.choices import DataKind
from clinical.models import Appointment, Patient
from devices.models import Device
from fhir import mapping
from fhir.outcome import FhirError
from fhir.paging import PAGING_PARAMETERS, decode_cursor, page_size, searchset
from fhir.searches import SearchView, id_page, reading_page
from fhir.views import scoped_get
from monitoring.models import Reading


class EverythingView(SearchView):
    role_rules = {"get": CLINICAL}
    search_parameters = PAGING_PARAMETERS

    def get(self, request, pk):
        self.check_parameters(request)
        patient = scoped_get(Patient.objects.records_for(request.user), pk)
        reads.record_read(DataKind.PATIENT_RECORD, [patient.pk], Patient, object_id=patient.pk)
        remaining = page_size(request)
        section, after = decode_cursor(request, 2) or (0, None)
        sections = self.sections(request.user, patient)
        if not isinstance(section, int) or not 0 <= section < len(sections):
            raise FhirError("_cursor is not a cursor this server gave: follow the Bundle's next link.")
        entries, next_cursor = [], None
        while section < len(sections) and remaining > 0:
            resources, more, last = sections[section](after, remaining)
            entries.extend((resource, "match") for resource in resources)
            remaining -= len(resources)
            if more:
                next_cursor = [section, last]
                break
            section, after = section + 1, None
        else:
            if section < len(sections):  # the page filled as a section ended: the next starts afresh
                next_cursor = [section, None]
        return Response(searchset(request, entries, next_cursor=next_cursor))

    @staticmethod
    def sections(user, patient):
        def patient_section(after, limit):
            return [mapping.patient_resource(patient)], False, None

        def device_section(after, limit):
            device = Device.objects.visible_to(user).filter(patient=patient).first()
            return ([mapping.device_resource(device)] if device else []), False, None

        def appointment_section(after, limit):
            appointments = Appointment.objects.visible_to(user).filter(patient=patient).select_related("slot")
            rows, more, last = id_page(appointments, after, limit)
            return [mapping.appointment_resource(row) for row in rows], more, last

        def observation_section(after, limit):
            rows, more, last = reading_page(Reading.objects.filter(patient=patient), after, limit)
            return mapping.observation_resources(rows), more, last

        return [patient_section, device_section, appointment_section, observation_section]
