from rest_framework.routers import SimpleRouter

from maintenance.views import PMScheduleViewSet

router = SimpleRouter()
router.register("pm-schedules", PMScheduleViewSet, basename="pmschedule")

urlpatterns = [*router.urls]
