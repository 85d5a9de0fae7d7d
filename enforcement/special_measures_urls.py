from django.urls import path

from enforcement import special_measures_views as views

app_name = "special_measures"

urlpatterns = [
    path("", views.special_measures_list, name="list"),
    path("<int:pk>/", views.special_measures_detail, name="detail"),
    path("<int:pk>/outcome/", views.special_measures_outcome, name="outcome"),
    path("tasks/<int:pk>/", views.escalation_task_detail, name="task"),
    path("tasks/<int:pk>/meeting/", views.escalation_task_schedule, name="task-schedule"),
    path("tasks/<int:pk>/done/", views.escalation_task_done, name="task-done"),
]
