from django.urls import path

from cqcportal.deadlines import views

app_name = "deadlines"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
