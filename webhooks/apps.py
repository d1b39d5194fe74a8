from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from core.events import add_sink
        from webhooks.services import on_event

        add_sink(on_event)
