from django.urls import path

from assessments import assessment_views, review_views, views

app_name = "assessments"

urlpatterns = [
    path("", assessment_views.caseload, name="caseload"),
    path("rating-reviews/", review_views.review_list, name="rating-reviews"),
    path("rating-reviews/request/<int:report_pk>/", review_views.request_review, name="rating-review-request"),
    path("rating-reviews/<int:pk>/", review_views.review_detail, name="rating-review"),
    path("rating-reviews/<int:pk>/<slug:action>/", review_views.review_action, name="rating-review-action"),
    path("locations/<int:location_pk>/new/", assessment_views.assessment_new, name="assessment-new"),
    path("locations/<int:location_pk>/suspend-rating/", assessment_views.rating_suspend, name="rating-suspend"),
    path("<int:pk>/", assessment_views.workspace, name="workspace"),
    path("<int:pk>/depart/", assessment_views.depart, name="depart"),
    path("<int:pk>/scope/", assessment_views.scope, name="scope"),
    path("<int:pk>/team/", assessment_views.team_add, name="team-add"),
    path(
        "<int:pk>/information-request/",
        assessment_views.assessment_information_request,
        name="assessment-information-request",
    ),
    path("<int:pk>/<str:action>/", assessment_views.assessment_transition, name="assessment-transition"),
    path("<int:pk>/statements/<slug:slug>/", assessment_views.statement, name="statement"),
    path("<int:pk>/evidence/<int:item_pk>/", assessment_views.evidence_download, name="evidence-download"),
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

public_urlpatterns = [
    path("location/<str:cqc_id>/how-this-rating-was-reached/", assessment_views.how_rated, name="how-rated"),
]
