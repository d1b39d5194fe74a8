"""Service routes: the API index, health, and the JSON 404/500 for unknown /api/ paths."""

import logging
import sys

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.urls import resolve, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from redis.exceptions import RedisError
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import error_body, json_error, unavailable_response
from core.permissions import PUBLIC

logger = logging.getLogger("meditrack.health")

API_RESOURCES = {
    "login": "/api/auth/login/",
    "register": "/api/auth/register/",
    "profile": "/api/auth/profile/",
    "users": "/api/users/",
    "roles": "/api/roles/",
    "hospitals": "/api/hospitals/",
    "rooms": "/api/rooms/",
    "devices": "/api/devices/",
    "workorders": "/api/workorders/",
    "spareparts": "/api/spareparts/",
    "pm_schedules": "/api/pm-schedules/",
    "reliability_report": "/api/reports/reliability/",
    "dashboard": "/api/dashboard/",
    "departments": "/api/departments/",
    "doctors": "/api/doctors/",
    "patients": "/api/patients/",
    "mappings": "/api/mappings/",
    "time_slots": "/api/time-slots/",
    "doctor_availability": "/api/doctor-availability/",
    "appointments": "/api/appointments/",
    "consultations": "/api/consultations/",
    "break_glass": "/api/break-glass/",
    "webhooks": "/api/webhooks/",
    "records": "/api/records/",
    "alerts": "/api/alerts/",
    "notifications": "/api/notifications/",
    "audit_log": "/api/audit-log/",
    "health": "/api/health/",
}


class ApiIndexView(APIView):
    role_rules = {"get": PUBLIC}
    authentication_classes = []

    @extend_schema(tags=["service"], summary="Index of resources and documentation links",
                   responses=inline_serializer("ApiIndex", {"resources": serializers.DictField(),
                                                            "docs": serializers.DictField()}))
    def get(self, request):
        build = request.build_absolute_uri
        return Response({
            "name": "MediTrack API",
            "resources": {name: build(path) for name, path in API_RESOURCES.items()},
            "docs": {
                "schema": build(reverse("schema")),
                "swagger": build(reverse("swagger-ui")),
                "redoc": build(reverse("redoc")),
            },
        })


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache():
    cache.set("health:probe", "ok", 10)
    if cache.get("health:probe") != "ok":
        raise RuntimeError("cache did not return the probe value")


HEALTH_CHECKS = {"database": _check_database, "cache": _check_cache}


class HealthView(APIView):
    role_rules = {"get": PUBLIC}
    authentication_classes = []
    throttle_classes = []

    @extend_schema(tags=["service"], summary="Database and cache health (503 naming what is down)",
                   responses=inline_serializer("Health", {"database": serializers.CharField(),
                                                          "cache": serializers.CharField()}))
    def get(self, request):
        results = {}
        for name, check in HEALTH_CHECKS.items():
            try:
                check()
                results[name] = "ok"
            except (DatabaseError, RedisError, OSError, RuntimeError) as exc:
                logger.warning("health check %s failed: %s", name, exc)
                results[name] = "down"
        down = [name for name, state in results.items() if state != "ok"]
        if not down:
            return Response(results)
        body = error_body(
            "service_unavailable",
            _("Unavailable: %(services)s.") % {"services": ", ".join(down)},
            {name: [_("%(service)s is down") % {"service": name}] for name in down},
        )
        return Response({**body, **results}, status=503)


@csrf_exempt  # an unknown path answers 404 for every method, never Django's CSRF page
def api_not_found(request, *args, **kwargs):
    shown = request.path if len(request.path) <= 200 else request.path[:200] + "…"
    message = _("No API route matches %(path)s.") % {"path": shown}
    if _resolves_with_slash(request):
        message += " " + _("Use %(path)s/ (with the trailing slash).") % {"path": request.path}
    return json_error(404, "not_found", message)


def _resolves_with_slash(request):
    """Whether the path names a real route once its trailing slash is added. (This catch-all
    matches every /api/ path, so Django's APPEND_SLASH never redirects; a redirect would lose a
    POST body anyway: the answer names the right path instead.) Every /api/ path resolves, to a
    route or to this catch-all."""
    if request.path_info.endswith("/"):
        return False
    return resolve(request.path_info + "/", urlconf=getattr(request, "urlconf", None)).func is not api_not_found


def handler500(request):
    if request.path.startswith("/api/"):
        # Called while the exception is being handled: a database or cache failure is a 503.
        return unavailable_response(sys.exc_info()[1]) or json_error(500, "server_error",
                                                                     _("An unexpected error occurred."))
    from django.views.defaults import server_error

    return server_error(request)
