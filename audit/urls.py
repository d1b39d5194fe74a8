from rest_framework.routers import SimpleRouter

from audit import views

router = SimpleRouter()
router.register("audit-log", views.AuditEntryViewSet, basename="audit-entry")

urlpatterns = router.urls
