from django.contrib import admin

from core.models import Counter


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ["key", "value"]
    search_fields = ["key"]
