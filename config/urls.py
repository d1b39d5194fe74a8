from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import metrics_view
from core import views as core_views

api_patterns = [
    path("", core_views.ApiIndexView.as_view(), name="api-index"),
    path("health/", core_views.HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("swagger/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui-alias"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", template_name="core/redoc.html"), name="redoc"),
    path("", include("accounts.urls")),
    path("", include("devices.urls")),
    path("", include("workorders.urls")),
    path("", include("maintenance.urls")),
    path("", include("spareparts.urls")),
    path("", include("clinical.urls")),
    path("", include("monitoring.urls")),
    path("", include("dashboard.urls")),
    path("", include("reports.urls")),
    path("", include("notifications.urls")),
    path("", include("audit.urls")),
    path("", include("webhooks.urls")),
    # Anything else under /api/ is a JSON 404, also with DEBUG on (which shows Django's HTML page
    # instead of calling handler404). [\s\S], not ".": a path holding a newline (%0A) too.
    re_path(r"^[\s\S]*$", core_views.api_not_found),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    path("fhir/", include("fhir.urls")),
    # Prometheus, for the scraper only (allowed addresses or METRICS_TOKEN); anyone else a plain 404.
    path("metrics", metrics_view.metrics, name="metrics"),
    # `make run`'s jobs worker relays its events here (no Redis); a 404 unless devserver set its secret.
    path("internal/events/", include("events.urls")),
]

handler500 = "core.views.handler500"
