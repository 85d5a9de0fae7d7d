from django.urls import path

from enforcement import fit_and_proper_views, views

app_name = "enforcement"

urlpatterns = [
    path("fit-and-proper/", fit_and_proper_views.concern_list, name="concerns"),
    path("fit-and-proper/new/", fit_and_proper_views.concern_new, name="concern-new"),
    path("fit-and-proper/<int:pk>/", fit_and_proper_views.concern_detail, name="concern"),
    path("fit-and-proper/<int:pk>/<slug:step>/", fit_and_proper_views.concern_step, name="concern-step"),
    path("locations/<int:location_pk>/new/", views.action_new, name="new"),
    path("<int:pk>/", views.action_detail, name="action"),
    path("<int:pk>/representations/", views.representation_add, name="representation-add"),
    path("<int:pk>/files/<int:file_pk>/", views.representation_file, name="file"),
    path("<int:pk>/<slug:step>/", views.action_step, name="step"),
]
