from django.urls import path
from rest_framework.routers import SimpleRouter

from monitoring import views

router = SimpleRouter()
router.register("alerts", views.AlertViewSet, basename="alert")

api_keys = views.DeviceApiKeyViewSet.as_view({"get": "list", "post": "create", "delete": "revoke_all"})
api_key = views.DeviceApiKeyViewSet.as_view({"delete": "destroy"})

urlpatterns = [
    path("records/", views.RecordIngestView.as_view(), name="records-ingest"),
    path("records/<int:patient_id>/", views.PatientHistoryView.as_view(), name="records-history"),
    path("devices/<int:device_id>/api-keys/", api_keys, name="device-api-keys"),
    path("devices/<int:device_id>/api-keys/<int:pk>/", api_key, name="device-api-key"),
    *router.urls,
]
