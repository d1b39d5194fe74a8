"""The bare lists bench/lists.py measures the product against (bench.bare_settings only).

GET /bare/<route>?<query> answers the rows of GET /api/<route>?<query> the shortest way Django can:
the same JWT authentication, the same scoped queryset (the route's own viewset: get_queryset(), so
the same visible_to and default ordering), the same filter backends (?search=, ?ordering=, filters)
and page size, then `.values()` of the model's columns without select_related or prefetch, one
page sliced by offset, serialised by orjson. No count, no permission classes, no serializer.
QueryCountMiddleware adds `X-Queries` (the SQL statements the request ran) to every response.
"""

import orjson
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import include, path, resolve
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken

from config import urls as config_urls


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counting(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = self.get_response(request)
        response["X-Queries"] = str(count[0])
        return response


def bare_list(request, route):
    drf_request = Request(request, authenticators=[JWTAuthentication()])
    try:
        user = drf_request.user
    except (AuthenticationFailed, InvalidToken):
        return JsonResponse({"detail": "unauthenticated"}, status=401)
    if not user.is_authenticated:
        return JsonResponse({"detail": "unauthenticated"}, status=401)
    match = resolve(f"/api/{route}")
    view = match.func.cls(**match.func.initkwargs)
    view.action_map, view.action, view.request = match.func.actions, "list", drf_request
    view.args, view.kwargs, view.format_kwarg, view.headers = (), {}, None, {}
    queryset = view.filter_queryset(view.get_queryset()).select_related(None).prefetch_related(None)
    size = int(request.GET.get("page_size", 50))
    offset = (int(request.GET.get("page", 1)) - 1) * size
    columns = [field.attname for field in queryset.model._meta.concrete_fields]
    rows = list(queryset.values(*columns)[offset:offset + size])
    return HttpResponse(orjson.dumps({"results": rows}), content_type="application/json")


handler500 = config_urls.handler500
urlpatterns = [
    path("bare/<path:route>", bare_list),
    path("", include("config.urls")),
]
