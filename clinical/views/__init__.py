"""Clinical views by concern; re-exported for clinical/urls.py."""
from clinical.views.access import BreakGlassGrantViewSet, PatientAccessLogViewSet, PatientBreakGlassViewSet
from clinical.views.consultations import ConsultationViewSet
from clinical.views.directory import DepartmentViewSet, DoctorProfileViewSet
from clinical.views.patients import MappingViewSet, PatientViewSet
from clinical.views.scheduling import AppointmentViewSet, DoctorAvailabilityView, TimeSlotViewSet

__all__ = [
    "AppointmentViewSet",
    "BreakGlassGrantViewSet",
    "ConsultationViewSet",
    "DepartmentViewSet",
    "DoctorAvailabilityView",
    "DoctorProfileViewSet",
    "MappingViewSet",
    "PatientAccessLogViewSet",
    "PatientBreakGlassViewSet",
    "PatientViewSet",
    "TimeSlotViewSet",
]
