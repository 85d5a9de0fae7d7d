from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cqcportal.deadlines"
    label = "deadlines"
    verbose_name = "Deadlines (the clock)"
