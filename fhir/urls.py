"""/fhir/: the read-only FHIR R4 facade (docs/fhir.md). What is routed here is what
fhir/capability.py's CapabilityStatement lists; anything else under /fhir/ is a 404
OperationOutcome (the catch-all, last)."""

from django.urls import path, re_path

from fhir import everything, searches, views
from fhir.outcome import not_found

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    path("Patient", searches.PatientSearchView.as_view(), name="fhir-patient-search"),
    path("Patient/<str:pk>", views.PatientReadView.as_view(), name="fhir-patient"),
    path("Patient/<str:pk>/$everything", everything.EverythingView.as_view(), name="fhir-patient-everything"),
    path("Practitioner/<str:pk>", views.PractitionerReadView.as_view(), name="fhir-practitioner"),
    path("Device/<str:pk>", views.DeviceReadView.as_view(), name="fhir-device"),
    path("Observation", searches.ObservationSearchView.as_view(), name="fhir-observation-search"),
    path("Observation/<str:pk>", views.ObservationReadView.as_view(), name="fhir-observation"),
    path("Appointment", searches.AppointmentSearchView.as_view(), name="fhir-appointment-search"),
    path("Slot", searches.SlotSearchView.as_view(), name="fhir-slot-search"),
    # [\s\S], not ".": a path holding a newline (%0A) too.
    re_path(r"^[\s\S]*$", not_found),
]
