from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from core.permissions import AUTHENTICATED
from dashboard.selectors import dashboard_for
from dashboard.serializers import DashboardSerializer


class DashboardView(APIView):
    role_rules = {"get": AUTHENTICATED}

    @extend_schema(tags=["dashboard"], responses=DashboardSerializer,
                   summary="Counts for the caller's role plus the ten latest work-order and spare-part events")
    def get(self, request):
        return Response(DashboardSerializer(dashboard_for(request.user)).data)
