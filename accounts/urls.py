from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")

me = views.ProfileView.as_view(http_method_names=["get", "head", "options"])

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("register/", views.RegisterView.as_view(), name="register-alias"),
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("token/", views.LoginView.as_view(), name="token-alias"),
    path("auth/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("token/refresh/", views.RefreshView.as_view(), name="token-refresh-alias"),
    path("auth/verify/", views.VerifyView.as_view(), name="token-verify"),
    path("token/verify/", views.VerifyView.as_view(), name="token-verify-alias"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/profile/", views.ProfileView.as_view(), name="profile"),
    path("users/me/", me, name="users-me"),
    path("auth/password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("auth/otp/request/", views.OtpRequestView.as_view(), name="otp-request"),
    path("auth/password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("auth/email/verify/", views.EmailVerifyView.as_view(), name="email-verify"),
    path("roles/", views.RoleListView.as_view(), name="roles"),
    *router.urls,
]
