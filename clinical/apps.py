from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = "Clinical"

    def ready(self):
        from clinical import profiles

        profiles.register()  # sign-up and admin creation make the role's record through accounts
