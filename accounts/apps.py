from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib import admin

        from accounts import schema  # noqa: F401 - registers the OpenAPI extension
        from accounts.forms import AdminLoginForm

        admin.site.login_form = AdminLoginForm  # one failed-login lock for the API and Django admin
