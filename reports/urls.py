from django.urls import path

from reports.views import ReliabilityReportView

urlpatterns = [
    path("reports/reliability/", ReliabilityReportView.as_view(), name="reliability-report"),
]
