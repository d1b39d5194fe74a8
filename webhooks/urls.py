"""/api/webhooks/: outbound webhook endpoints and their deliveries (webhooks/views.py)."""

from rest_framework.routers import SimpleRouter

from webhooks.views import WebhookEndpointViewSet

router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [*router.urls]
