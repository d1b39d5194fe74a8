from rest_framework.routers import SimpleRouter

from devices import views

router = SimpleRouter()
router.register("hospitals", views.HospitalViewSet, basename="hospital")
router.register("rooms", views.RoomViewSet, basename="room")
router.register("devices", views.DeviceViewSet, basename="device")

urlpatterns = [*router.urls]
