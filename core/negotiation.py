"""Content negotiation for every view (REST_FRAMEWORK's DEFAULT_CONTENT_NEGOTIATION_CLASS): DRF's,
except that `?format=csv` on a route that offers no CSV is a 406 naming the lists that do, in the
one error shape, where DRF answers 404 "Not found.". Kept apart from core.csv_export, which imports
the schema tools: the setting is imported while DRF's views module loads."""

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation

CSV = "csv"
NOT_OFFERED = _("CSV (?format=csv) is offered on the lists of devices, work orders, spare parts, appointments "
                "and patients, and on the reliability report; this route answers JSON only.")


class CSVNegotiation(DefaultContentNegotiation):
    """`?format=csv` where no CSV is offered: a 406 naming where it is (DRF would answer 404)."""

    def filter_renderers(self, renderers, format):
        if format == CSV and not any(renderer.format == CSV for renderer in renderers):
            raise NotAcceptable(NOT_OFFERED)
        return super().filter_renderers(renderers, format)
