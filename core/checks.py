"""`manage.py check --deploy` warnings for settings that are fine in development only."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

DEVELOPMENT_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register(Tags.security, deploy=True)
def email_backend_check(app_configs, **kwargs):
    # One-time codes and invitations travel by email: on the console they would land in the logs.
    if settings.EMAIL_BACKEND in DEVELOPMENT_EMAIL_BACKENDS:
        return [Warning("EMAIL_BACKEND is a development backend: one-time codes would be printed to the logs.",
                        hint="Set EMAIL_BACKEND (e.g. django.core.mail.backends.smtp.EmailBackend) and EMAIL_*.",
                        id="meditrack.W001")]
    return []
