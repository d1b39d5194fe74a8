"""Base pieces every app's viewsets share."""


class UnfilteredDetailMixin:
    """Filters, search and ordering describe the rows of a list. DRF also runs them in get_object(),
    so `/consultations/1/prescriptions/?search=zinc` would look consultation 1 up *searched for
    "zinc"* and answer 404; a detail route (and its nested lists) finds its object unfiltered."""

    def filter_queryset(self, queryset):
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)
