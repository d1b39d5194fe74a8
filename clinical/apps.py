from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = "Clinical"

    def ready(self):
        from audit import reads
        from clinical import profiles
        from clinical.models.access import patients_read_under_grant

        profiles.register()  # sign-up and admin creation make the role's record through accounts
        reads.mark_break_glass_with(patients_read_under_grant)  # reads under a grant are marked
