"""`OPTIONS`: describe what each write of the route accepts, for the caller asking.

DRF's SimpleMetadata asks the view for its serializer while the view's action is `metadata`, so a
viewset that picks its write serializer per action (`create`, `update`, a custom action, a role's
restricted serializer) is described by its *read* serializer: every field read-only and not
required. Here the view answers as it would for the real request: the action that the method maps
to is set before the permission check and the serializer choice. A write the caller may not use
(403/401/404) is left out, as DRF does.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import clone_request


class ActionMetadata(SimpleMetadata):
    def determine_actions(self, request, view):
        actions = {}
        action_map = getattr(view, "action_map", None)
        for method in ("PUT", "POST"):
            if method not in view.allowed_methods:
                continue
            previous_action = getattr(view, "action", None)
            view.request = clone_request(request, method)
            if action_map is not None:
                view.action = action_map.get(method.lower())
            try:
                view.check_permissions(view.request)
                if method == "PUT" and hasattr(view, "get_object"):
                    view.get_object()
                serializer = view.get_serializer()
            except (exceptions.APIException, PermissionDenied, Http404):
                continue
            else:
                actions[method] = self.get_serializer_info(serializer)
            finally:
                view.request = request
                if action_map is not None:
                    view.action = previous_action
        return actions
