from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit log"

    def ready(self):
        # Every audited model is registered with django-auditlog once all models are loaded
        # (audit/registry.py: by label, so this app imports no domain app).
        from audit.registry import register_audited_models

        register_audited_models()
