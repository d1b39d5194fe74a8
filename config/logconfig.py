"""Logging: one line per record, with the request id."""


def logging_config(*, level):
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "core.middleware.RequestIdLogFilter"},
            "client_error_tracebacks": {"()": "core.middleware.ClientErrorTracebackFilter"},
        },
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "plain",
                        "filters": ["request_id", "client_error_tracebacks"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # One line per request: Django's own "django" handlers (a DEBUG-only console, mail_admins)
            # would print every django.request line a second time; everything goes through root.
            "django": {"handlers": [], "propagate": True},
            # runserver's access line for a failed request repeats django.request's (which carries the
            # request id); successful requests are not logged (the proxy's access log has them).
            "django.server": {"handlers": [], "propagate": False, "level": "CRITICAL"},
        },
    }
