from django.urls import path

from factual_accuracy import check_views, public_views, response_views, views

app_name = "factual_accuracy"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("assessments/<int:assessment_pk>/new/", views.report_new, name="report-new"),
    path("<int:pk>/", views.report_detail, name="report"),
    path("<int:pk>/versions/", views.report_versions, name="versions"),
    path("<int:pk>/sections/<int:section_pk>/", check_views.section_comment, name="section"),
    path("<int:pk>/comments/<int:comment_pk>/edit/", check_views.comment_edit, name="comment-edit"),
    path("<int:pk>/comments/<int:comment_pk>/delete/", check_views.comment_delete, name="comment-delete"),
    path("<int:pk>/comments/<int:comment_pk>/files/", check_views.file_add, name="file-add"),
    path("<int:pk>/comments/<int:comment_pk>/respond/", response_views.comment_respond, name="comment-respond"),
    path("<int:pk>/files/<int:file_pk>/", check_views.file_download, name="file"),
    path("<int:pk>/files/<int:file_pk>/remove/", check_views.file_remove, name="file-remove"),
    path("<int:pk>/send-comments/", check_views.submit, name="submit"),
    path("<int:pk>/more-time/", check_views.extension, name="extension"),
    path("<int:pk>/more-time/<int:request_pk>/decide/", response_views.extension_decide, name="extension-decide"),
    path("<int:pk>/questions/", check_views.question, name="question"),
    path("<int:pk>/questions/<int:query_pk>/answer/", response_views.query_answer, name="query-answer"),
    path("<int:pk>/<slug:action>/", views.report_action, name="report-action"),
]

public_urlpatterns = [
    path("location/<str:cqc_id>/reports/<int:pk>/", public_views.public_report, name="report"),
]
