from django.urls import path

from factual_accuracy import views

app_name = "factual_accuracy"

urlpatterns = [
    path("assessments/<int:assessment_pk>/new/", views.report_new, name="report-new"),
    path("<int:pk>/", views.report_detail, name="report"),
    path("<int:pk>/<slug:action>/", views.report_action, name="report-action"),
]
