from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        from monitoring import schema  # noqa: F401 - registers the OpenAPI extension
