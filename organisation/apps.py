from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    """The hospital's shape that several domains share (departments). It imports no other project
    app, so accounts (staff belong to a department) and clinical may both depend on it."""

    name = "organisation"
    verbose_name = "Organisation"
