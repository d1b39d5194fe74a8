from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError


class AdminLoginForm(AdminAuthenticationForm):
    """Django admin's login, saying clearly when the failed-login lock refused it
    (accounts.backends.LoginGuardBackend sets request.login_locked_for)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "locked": "Too many failed logins for this account or from this address. "
                  "Try again in %(minutes)d minute(s).",
    }

    def get_invalid_login_error(self):
        wait = getattr(self.request, "login_locked_for", None)
        if wait is None:
            return super().get_invalid_login_error()
        return ValidationError(self.error_messages["locked"], code="locked",
                               params={"minutes": max(1, -(-wait // 60))})
