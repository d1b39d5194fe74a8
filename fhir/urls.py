"""/fhir/: the read-only FHIR R4 facade (fhir/views.py)."""

urlpatterns = []
