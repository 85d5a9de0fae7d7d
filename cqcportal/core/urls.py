from django.urls import path

from cqcportal.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dev/mailbox/", views.mailbox, name="mailbox"),
    path("dev/codes/", views.demo_codes, name="demo-codes"),
]
