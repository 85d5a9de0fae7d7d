from django.contrib import admin
from django.urls import include, path

from assessments.urls import public_urlpatterns as public_assessment_urls
from factual_accuracy.urls import public_urlpatterns as public_report_urls

admin.site.site_header = "Regulation portal: back office"
admin.site.site_title = "Back office"
admin.site.index_title = "Back office"

urlpatterns = [
    path("", include("cqcportal.core.urls")),
    path("accounts/", include("cqcportal.accounts.urls")),
    path("", include("cqcportal.register.urls")),
    path("alerts/", include("cqcportal.alerts.urls")),
    path("assessments/", include("assessments.urls")),
    path("", include((public_assessment_urls + public_report_urls, "public"))),
    path("deadlines/", include("cqcportal.deadlines.urls")),
    path("reports/", include("factual_accuracy.urls")),
    path("enforcement/", include("enforcement.urls")),
    path("special-measures/", include("enforcement.special_measures_urls")),
    path("complaints/", include("cqcportal.complaints.urls")),
    path("", include("cqcportal.notifications.urls")),
    path("back-office/", admin.site.urls),
]
