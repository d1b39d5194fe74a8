from rest_framework.routers import SimpleRouter

from spareparts import views

router = SimpleRouter()
router.register("spareparts", views.SparePartRequestViewSet, basename="sparepart")

urlpatterns = [*router.urls]
