from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path(
        "locations/<int:location_pk>/information-requests/new/",
        views.information_request_new,
        name="information-request-new",
    ),
    path("information-requests/<int:pk>/", views.information_request_detail, name="information-request"),
    path("information-requests/<int:pk>/review/", views.information_request_review, name="information-request-review"),
    path(
        "information-requests/<int:pk>/clock/<str:action>/",
        views.information_request_clock,
        name="information-request-clock",
    ),
]
