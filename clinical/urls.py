from django.urls import path
from rest_framework.routers import SimpleRouter

from clinical import views

router = SimpleRouter()
router.register("departments", views.DepartmentViewSet, basename="department")
router.register("doctors", views.DoctorProfileViewSet, basename="doctor")
router.register("patients", views.PatientViewSet, basename="patient")
# /patients/{id}/break-glass/ and /patients/{id}/access-log/: about access to the record (views.access).
router.register("patients", views.PatientBreakGlassViewSet, basename="patient-break-glass")
router.register("patients", views.PatientAccessLogViewSet, basename="patient-access-log")
router.register("mappings", views.MappingViewSet, basename="mapping")
router.register("time-slots", views.TimeSlotViewSet, basename="time-slot")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("consultations", views.ConsultationViewSet, basename="consultation")
router.register("break-glass", views.BreakGlassGrantViewSet, basename="break-glass")

urlpatterns = [
    path("doctor-availability/", views.DoctorAvailabilityView.as_view(), name="doctor-availability"),
    *router.urls,
]
