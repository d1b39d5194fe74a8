"""/api/webhooks/: outbound webhook endpoints and their deliveries (webhooks/views.py)."""

urlpatterns = []
