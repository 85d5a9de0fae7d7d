from django.urls import path

from cqcportal.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.complaint_list, name="list"),
    path("new/", views.complaint_new, name="new"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/formal-investigation/", views.complaint_escalate, name="escalate"),
    path("<int:pk>/close/", views.complaint_close, name="close"),
]
