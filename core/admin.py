from django.contrib import admin

from core.models import Counter


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ["key", "value"]
    search_fields = ["key"]
    readonly_fields = ["key", "value"]  # lowering a counter would hand out numbers again

    def has_add_permission(self, request):
        return False
