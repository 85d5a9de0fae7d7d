from django.urls import path

from cqcportal.notifications import views

app_name = "notifications"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/", views.inbox_item, name="inbox-item"),
    path("inbox/<int:pk>/open/", views.inbox_open_case, name="inbox-open"),
]
