from django.db.models import Count
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.serializers import TokenRefreshSerializer

from accounts import services
from accounts.choices import ROLE_DESCRIPTIONS, Role
from accounts.filters import UserFilter
from accounts.models import User
from accounts.roles import ADMIN
from accounts.serializers import (
    AdminUserCreateSerializer,
    AdminUserUpdateSerializer,
    CodeSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    MessageSerializer,
    OtpRequestSerializer,
    PasswordChangeSerializer,
    PasswordResetSerializer,
    ProfileSerializer,
    RefreshTokenSerializer,
    RegisterSerializer,
    RejectSerializer,
    RoleSerializer,
    TokenVerifySerializer,
    UserSerializer,
)
from accounts.throttles import OtpAddressThrottle, OtpEmailThrottle
from core.permissions import AUTHENTICATED, PUBLIC, RolePermission
from core.viewsets import BaseViewSet, CreateMixin, UpdateMixin

AUTH_TAG = ["auth"]
# Public routes list no 401 (core.schema), except these, which refuse the credentials or token sent.
REFUSED = OpenApiResponse(description="Credentials or token refused (`code` says why)")


class PublicAuthView(APIView):
    """Public account routes ignore any Authorization header (a stale token must not block login)."""

    role_rules = {"post": PUBLIC}
    authentication_classes = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'  # so a refused login is 401, as for any bad credential


class RegisterView(PublicAuthView):
    @extend_schema(tags=AUTH_TAG, request=RegisterSerializer, responses={201: UserSerializer},
                   summary="Sign up (patients active at once; staff pending approval)")
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    @extend_schema(tags=AUTH_TAG, request=LoginSerializer, responses={200: LoginResponseSerializer, 401: REFUSED},
                   summary="Log in with username or email; answers access and refresh tokens")
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user, refresh = services.login(
            identifier=data.get("username") or data["email"],
            password=data["password"],
            address=AnonRateThrottle().get_ident(request),
        )
        return Response({"access": str(refresh.access_token), "refresh": str(refresh),
                         "user": UserSerializer(user).data})


@extend_schema(tags=AUTH_TAG, summary="Rotate a refresh token (the old one is blacklisted)",
               responses={200: TokenRefreshSerializer, 401: REFUSED})
class RefreshView(jwt_views.TokenRefreshView):
    # SimpleJWT's view has no permission classes at all: put it under RolePermission like every route.
    permission_classes = [RolePermission]
    role_rules = {"post": PUBLIC}


@extend_schema(tags=AUTH_TAG, summary="Verify a token",
               responses={200: OpenApiResponse(OpenApiTypes.OBJECT, "Valid: an empty object"), 401: REFUSED})
class VerifyView(jwt_views.TokenVerifyView):
    permission_classes = [RolePermission]
    role_rules = {"post": PUBLIC}
    serializer_class = TokenVerifySerializer


class LogoutView(APIView):
    role_rules = {"post": AUTHENTICATED}

    @extend_schema(tags=AUTH_TAG, request=RefreshTokenSerializer, responses={204: None},
                   summary="Blacklist the given refresh token")
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(user=request.user, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    get=extend_schema(tags=AUTH_TAG, summary="The current user"),
    put=extend_schema(tags=AUTH_TAG, summary="Update the current user (role and flags read-only)"),
    patch=extend_schema(tags=AUTH_TAG, summary="Partly update the current user"),
)
class ProfileView(generics.RetrieveUpdateAPIView):
    role_rules = {"get": AUTHENTICATED, "put": AUTHENTICATED, "patch": AUTHENTICATED}
    serializer_class = ProfileSerializer

    def get_object(self):
        return User.objects.with_profiles().get(pk=self.request.user.pk)

    def perform_update(self, serializer):
        serializer.instance = services.user_update(user=serializer.instance, by=self.request.user,
                                                   **serializer.validated_data)


class PasswordChangeView(APIView):
    role_rules = {"post": AUTHENTICATED}

    @extend_schema(tags=AUTH_TAG, request=PasswordChangeSerializer, responses={200: MessageSerializer},
                   summary="Change the password (every refresh token of the account is revoked)")
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.password_change(user=request.user, new_password=serializer.validated_data["new_password"])
        return Response({"message": "Password changed."})


class OtpRequestView(PublicAuthView):
    throttle_classes = [OtpEmailThrottle, OtpAddressThrottle]

    @extend_schema(tags=AUTH_TAG, request=OtpRequestSerializer, responses={202: MessageSerializer},
                   summary="Send a one-time code by email (always 202)")
    def post(self, request):
        serializer = OtpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.otp_request(**serializer.validated_data)
        return Response({"message": "If an account uses this email, a code has been sent to it."},
                        status=status.HTTP_202_ACCEPTED)


class PasswordResetView(PublicAuthView):
    @extend_schema(tags=AUTH_TAG, request=PasswordResetSerializer, responses={200: MessageSerializer},
                   summary="Set a new password with an emailed code (also accepts invitation codes)")
    def post(self, request):
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset(**serializer.validated_data)
        return Response({"message": "Password changed. You can now log in."})


class EmailVerifyView(PublicAuthView):
    @extend_schema(tags=AUTH_TAG, request=CodeSerializer, responses={200: MessageSerializer},
                   summary="Verify the email address with an emailed code")
    def post(self, request):
        serializer = CodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.email_verify(**serializer.validated_data)
        return Response({"message": "Email verified."})


@extend_schema_view(
    list=extend_schema(summary="Users (filters: role, alias type, approval_status, is_active)"),
    create=extend_schema(summary="Create a user of any role; they get an invitation code by email",
                         responses={201: UserSerializer}),
    destroy=extend_schema(summary="Deactivate a user (accounts are never erased)"),
)
@extend_schema(tags=["users"])
class UserViewSet(CreateMixin, UpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.DestroyModelMixin, BaseViewSet):
    role_rules = {action: ADMIN for action in
                  ("list", "retrieve", "create", "update", "partial_update", "destroy", "approve", "reject")}
    queryset = User.objects.with_profiles().order_by("id")
    scoped = False  # an admin-only route over every account
    read_serializer_class = UserSerializer
    write_actions = BaseViewSet.write_actions | {"approve", "reject"}
    filterset_class = UserFilter
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["id", "username", "email", "date_joined", "last_login", "role"]

    def get_serializer_class(self):
        if self.action == "create":
            return AdminUserCreateSerializer
        if self.action in ("update", "partial_update"):
            return AdminUserUpdateSerializer
        if self.action == "reject":
            return RejectSerializer
        return UserSerializer

    def perform_create(self, serializer):
        serializer.instance = services.user_invite(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.user_update(user=serializer.instance, by=self.request.user,
                                                   **serializer.validated_data)

    def perform_destroy(self, instance):
        services.user_deactivate(user=instance, by=self.request.user)

    @extend_schema(request=None, responses={200: UserSerializer}, summary="Approve a pending staff sign-up")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self.respond(services.user_approve(user=self.get_object(), by=request.user))

    @extend_schema(request=RejectSerializer, responses={200: UserSerializer},
                   summary="Reject a pending staff sign-up")
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self.respond(services.user_reject(user=self.get_object(), by=request.user,
                                                 reason=serializer.validated_data.get("reason", "")))


class RoleListView(generics.ListAPIView):
    role_rules = {"get": ADMIN}
    serializer_class = RoleSerializer
    filter_backends = []

    @extend_schema(tags=["users"], summary="The roles, with a description and a user count each")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        """Five computed rows: `?search=` and `?ordering=` (role, name, user_count) apply in memory."""
        counts = dict(User.objects.values_list("role").annotate(n=Count("id")).order_by())
        rows = [
            {"role": role.value, "name": role.label, "description": ROLE_DESCRIPTIONS[role],
             "user_count": counts.get(role.value, 0)}
            for role in Role
        ]
        term = self.request.query_params.get("search", "").strip().lower()
        if term:
            rows = [row for row in rows
                    if any(term in str(row[key]).lower() for key in ("role", "name", "description"))]
        ordering = self.request.query_params.get("ordering", "")
        if ordering.lstrip("-") in ("role", "name", "user_count"):
            rows.sort(key=lambda row: row[ordering.lstrip("-")], reverse=ordering.startswith("-"))
        return rows
