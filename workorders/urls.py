from rest_framework.routers import SimpleRouter

from workorders import views

router = SimpleRouter()
router.register("workorders", views.WorkOrderViewSet, basename="workorder")

urlpatterns = [*router.urls]
