from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run`. It imports every domain, so no domain app may import it."""

    name = "demo"
    verbose_name = "Demo data"
