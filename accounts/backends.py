"""Django's authenticate() under the API's failed-login lock (the way django-axes hooks in).

Django admin's login form calls authenticate(); with this backend it reads and writes the same
counters as POST /api/auth/login/ (accounts.login_guard): a locked account or address is refused
even with the right password, and every wrong password counts, whichever door it came through.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts import login_guard


class LoginGuardBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        # As the API's login: an identifier with "@" is an email (case-insensitive), else a username.
        match = Q(email__iexact=username) if "@" in username else Q(username=username)
        user = User._default_manager.filter(match).first()
        subject = login_guard.subject(username, user)
        address = login_guard.client_address(request) if request is not None else None
        wait = login_guard.locked_for(subject, address)
        if wait is not None:
            if request is not None:
                request.login_locked_for = wait  # read by the admin login form's message
            raise PermissionDenied(login_guard.LOCKED_MESSAGE)  # authenticate() stops here: None
        if user is None or not user.check_password(password):
            if user is None:
                User().set_password(password)  # spend the time of a real check (as ModelBackend)
            login_guard.record_failure(subject, address)
            return None
        if not self.user_can_authenticate(user):
            return None  # right password, inactive account: refused, not counted (as the API)
        login_guard.clear_failures(subject)
        return user
