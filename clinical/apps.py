from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = "Clinical"

    def ready(self):
        from audit import reads
        from clinical import profiles
        from clinical.models.access import read_under_grant

        profiles.register()  # sign-up and admin creation make the role's record through accounts
        # Reads under a grant are marked; a subquery, so PostgreSQL checks it inside the entries' INSERT.
        reads.mark_break_glass_with(read_under_grant)
