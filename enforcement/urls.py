from django.urls import path

from enforcement import views

app_name = "enforcement"

urlpatterns = [
    path("locations/<int:location_pk>/new/", views.action_new, name="new"),
    path("<int:pk>/", views.action_detail, name="action"),
    path("<int:pk>/representations/", views.representation_add, name="representation-add"),
    path("<int:pk>/files/<int:file_pk>/", views.representation_file, name="file"),
    path("<int:pk>/<slug:step>/", views.action_step, name="step"),
]
